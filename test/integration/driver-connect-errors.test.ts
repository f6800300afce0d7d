import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../harness/core/clock.js';
import type { RequestRecord } from '../../harness/traffic/record.js';
import { connectionBudget } from '../../harness/traffic/send-stats.js';
import { Sender } from '../../harness/traffic/sender.js';

// On kind without a mesh the driver meets dead endpoints itself (locally its
// sidecar always answers): connects that hang and then fail while other
// requests wait for a connection. Live, the driver died on undici's
// assert(client[kSize] === 0): the failed connection was handed a waiting
// request from inside undici's own connect-error handling.

/** A loopback listener that never accepts: once its one-slot backlog is full, SYNs are dropped and connects hang. */
async function blackHole(): Promise<{ port: number; stop: () => void }> {
  const child = execa('python3', ['-u', '-c', [
    'import socket, sys, time',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
    'port = s.getsockname()[1]',
    // Fill the accept queue so later SYNs are dropped.
    'print(port, flush=True)',
    'time.sleep(60)',
  ].join('\n')], { reject: false });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  return { port, stop: () => void child.kill('SIGKILL') };
}

describe('the driver against connects that hang, then fail', () => {
  it('records every request and never crashes (a failed connection is not handed a request inside undici\'s error handling)', async () => {
    const hole = await blackHole();
    const records: RequestRecord[] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      // Fill the listener's backlog first: connects after these hang until the connect timeout.
      const { Socket } = await import('node:net');
      const fillers = [0, 1, 2].map(() => new Socket().connect(hole.port, '127.0.0.1').on('error', () => undefined));
      await systemClock.sleep(100);
      // 50 req/s on 2 connections, each connect failing after 300 ms: requests always wait for a connection.
      const sender = new Sender({ client: 'c', target: new URL(`http://127.0.0.1:${hole.port}/`), rate: 50, timeoutMs: 300, connections: 2, clock: systemClock, record: (r) => records.push(r) });
      await sender.run(systemClock.now() + 10, 1500);
      await systemClock.sleep(50);
      for (const s of fillers) s.destroy();
    } finally {
      process.off('uncaughtException', onUncaught);
      hole.stop();
    }
    expect(uncaught.map(String)).toEqual([]);
    expect(records.length).toBeGreaterThanOrEqual(70);
    expect(records.every((r) => r.status === 0)).toBe(true);
  });

  it('a connect that hangs is the service\'s timeout, not the driver\'s overload: later requests get connections of their own', async () => {
    const hole = await blackHole();
    const { Socket } = await import('node:net');
    const fillers = [0, 1, 2].map(() => new Socket().connect(hole.port, '127.0.0.1').on('error', () => undefined));
    const records: RequestRecord[] = [];
    try {
      await systemClock.sleep(100);
      // The run's own connection budget for 50 req/s at a 300 ms timeout; every connect hangs to the timeout.
      const sender = new Sender({ client: 'c', target: new URL(`http://127.0.0.1:${hole.port}/`), rate: 50, timeoutMs: 300, connections: connectionBudget(50, 300), clock: systemClock, record: (r) => records.push(r) });
      await sender.run(systemClock.now() + 10, 1500);
    } finally {
      for (const s of fillers) s.destroy();
      hole.stop();
    }
    // Before: two hanging connects held every later request until it was past its bound (recorded as driver-overload).
    expect(records.filter((r) => r.error === 'driver-overload')).toEqual([]);
    expect(records.length).toBeGreaterThanOrEqual(70);
    expect(records.every((r) => r.error === 'timeout')).toBe(true);
  });

  it('--connection-per-request: each request on a connection of its own (kube-proxy then balances requests, not one kept-alive connection)', async () => {
    const { createServer } = await import('node:http');
    let connections = 0;
    const server = createServer((_req, res) => res.end('{}')).on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const count = async (perRequest: boolean) => {
      connections = 0;
      const records: RequestRecord[] = [];
      const sender = new Sender({ client: 'c', target: new URL(`http://127.0.0.1:${port}/`), rate: 50, timeoutMs: 1000, connections: connectionBudget(50, 1000), clock: systemClock, record: (r) => records.push(r), connectionPerRequest: perRequest });
      await sender.run(systemClock.now() + 10, 1000);
      return { records: records.length, ok: records.filter((r) => r.status === 200).length, connections };
    };
    try {
      const pooled = await count(false);
      const perRequest = await count(true);
      expect(pooled.ok).toBe(pooled.records);
      expect(pooled.connections).toBeLessThanOrEqual(3);
      expect(perRequest.ok).toBe(perRequest.records);
      expect(perRequest.records).toBeGreaterThanOrEqual(45);
      expect(perRequest.connections).toBe(perRequest.records);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
