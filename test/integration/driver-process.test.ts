// The driver as a process, as the harness runs it: bundled by esbuild and
// started with plain node (traffic/driver-bundle.ts). A real run against a
// real HTTP responder, and what a stop does before the agreed start.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realExecutor } from '../../harness/exec/index.js';
import { buildDriverBundle } from '../../harness/traffic/driver-bundle.js';
import { parseRecords } from '../../harness/traffic/record.js';

const dir = mkdtempSync(join(tmpdir(), 'fh-driver-process-'));
let bundle = '';
beforeAll(async () => {
  bundle = await buildDriverBundle(realExecutor, join(dir, 'driver.mjs'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the traffic driver process', () => {
  it('bundled, runs with plain node and records every request answered, with who answered', async () => {
    const identity = { instance: 'echo-1', node: 'n1', cluster: 'c1', region: 'region-1', zone: 'zone-a', subzone: '' };
    const server = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(identity)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const out = join(dir, 'run.ndjson');
    const summary = join(dir, 'run-summary.json');
    try {
      // No --import: the bundle carries undici and everything else it needs.
      const child = realExecutor.spawn(
        [process.execPath, bundle, '--client', 'c', '--target', `http://127.0.0.1:${port}/`, '--rate', '200', '--timeout-ms', '1000', '--max-duration-ms', '1000', '--out', out, '--summary', summary],
        { logFile: join(dir, 'run.log') },
      );
      const { exitCode } = await child.exited;
      expect(exitCode, readFileSync(join(dir, 'run.log'), 'utf8')).toBe(0);
    } finally {
      server.close();
    }
    const records = parseRecords(readFileSync(out, 'utf8'));
    const s = JSON.parse(readFileSync(summary, 'utf8')) as { scheduled: number; sent: number; recorded: number };
    expect(s.scheduled).toBeGreaterThanOrEqual(195);
    expect(s.recorded).toBe(s.scheduled);
    expect(records).toHaveLength(s.scheduled);
    expect(records.every((r) => r.status === 200 && r.error === null && r.instance === 'echo-1' && r.zone === 'zone-a')).toBe(true);
  });

  it('stopped during its warm-up, it sends nothing to the target and says so in its summary', async () => {
    let requests = 0;
    const server: Server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.on('data', () => requests++);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const out = join(dir, 'records.ndjson');
    const summary = join(dir, 'summary.json');
    // A 4 s lead at 2k req/s: the driver warms up for 3 s against its own loopback first.
    const startAt = Date.now() + 4000;
    const child = realExecutor.spawn(
      [process.execPath, bundle, '--client', 'c', '--target', `http://127.0.0.1:${port}/`, '--rate', '2000', '--timeout-ms', '1000', '--max-duration-ms', '5000', '--start-at', String(startAt), '--out', out, '--summary', summary],
      { logFile: join(dir, 'driver.log') },
    );
    try {
      // Stopped once it has said when it starts (the warm-up runs right after).
      for (let i = 0; i < 100 && !readLog().includes('scheduled c'); i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      child.signal('SIGTERM');
      const { exitCode } = await child.exited;
      expect(exitCode).toBe(0);
      // Before the start, not after a whole run.
      expect(Date.now()).toBeLessThan(startAt);
    } finally {
      child.signal('SIGKILL');
      server.close();
    }
    expect(requests).toBe(0);
    expect(existsSync(summary)).toBe(true);
    const s = JSON.parse(readFileSync(summary, 'utf8')) as { scheduled: number; sent: number; recorded: number };
    expect(s).toMatchObject({ scheduled: 0, sent: 0, recorded: 0 });
    expect(readFileSync(out, 'utf8')).toBe('');
  });
});

function readLog(): string {
  const file = join(dir, 'driver.log');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
