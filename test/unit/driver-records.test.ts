import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../harness/core/clock.js';
import { readNdjson, TornLineError } from '../../harness/traffic/ndjson-file.js';
import { BYTES_PER_RECORD, RecordColumns } from '../../harness/traffic/record-columns.js';
import type { RequestRecord } from '../../harness/traffic/record.js';
import { freeOpens, OPEN_EVERY_MS, Sender } from '../../harness/traffic/sender.js';
import { connectionBudget, SendStats, tooLate } from '../../harness/traffic/send-stats.js';

const ok = (client: string, sentAt: number, instance = 'svc-a-1'): RequestRecord => ({ client, sentAt, latencyMs: 1.2345678912, status: 200, error: null, instance, cluster: 'c1', region: 'r1', zone: 'zone-a', subzone: '' });
const failed = (client: string, sentAt: number): RequestRecord => ({ client, sentAt, latencyMs: 2000, status: 0, error: 'timeout', instance: null, cluster: null, region: null, zone: null, subzone: null });

describe('record columns', () => {
  it('round-trips every field exactly, nulls and all', () => {
    const records = [ok('a', 1_800_000_000_000.125), failed('b', 1_800_000_000_001.5), { ...ok('a', 3), status: 503, error: 'http-status' as const }, { ...ok('a', 4), instance: 'null' }];
    const columns = RecordColumns.from(records);
    expect(columns.length).toBe(4);
    expect([...columns]).toEqual(records);
    expect(columns.at(1).instance).toBeNull();
    expect(columns.at(3).instance).toBe('null');
  });

  it('interns names: one string per client and per server however many records', () => {
    const columns = new RecordColumns();
    for (let i = 0; i < 10_000; i++) columns.push(ok(i % 2 ? 'a' : 'b', i, `svc-${i % 3}`));
    expect(columns.clientNames()).toEqual(['b', 'a']);
    expect(columns.at(0).instance).toBe(columns.at(3).instance);
    expect(Object.is(columns.at(0).zone, columns.at(9).zone)).toBe(true);
  });

  it('grows past its first capacity and trims to what it holds', () => {
    const columns = new RecordColumns();
    for (let i = 0; i < 5000; i++) columns.push(ok('a', 5000 - i));
    expect(columns.length).toBe(5000);
    expect(columns.byteLength()).toBe(8192 * BYTES_PER_RECORD);
    columns.trim();
    expect(columns.byteLength()).toBe(5000 * BYTES_PER_RECORD);
    expect(BYTES_PER_RECORD).toBeLessThanOrEqual(32);
    const sorted = columns.clientColumns('a');
    expect(sorted.sentAtOf(0)).toBe(1);
    expect(sorted.sentAtOf(4999)).toBe(5000);
    expect(columns.clientRecords('a')[0]!.sentAt).toBe(1);
    expect([...columns.ofClient('nobody')]).toEqual([]);
  });
});

describe('records files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fh-ndjson-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads line by line and reports the line count and SHA-256', () => {
    const file = join(dir, 'ok.ndjson');
    writeFileSync(file, `${JSON.stringify(ok('a', 1))}\n${JSON.stringify({ ...ok('a', 2), zone: 'zöne-ä' })}\n`);
    const seen: RequestRecord[] = [];
    const digest = readNdjson<RequestRecord>(file, (r) => seen.push(r));
    expect(seen.map((r) => r.zone)).toEqual(['zone-a', 'zöne-ä']);
    expect(digest.lines).toBe(2);
    expect(digest.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the file and line of a torn record', () => {
    const file = join(dir, 'torn.ndjson');
    writeFileSync(file, `${JSON.stringify(ok('a', 1))}\n{"client":"a","sentAt":2,"lat`);
    expect(() => readNdjson(file, () => undefined)).toThrow(TornLineError);
    expect(() => readNdjson(file, () => undefined)).toThrow(/torn\.ndjson: line 2 is not a complete JSON record/);
  });
});

describe('the driver\'s own accounting', () => {
  it('lag quantiles, the steady figure and the largest gap', () => {
    const stats = new SendStats();
    stats.steadyFrom = 100;
    for (let i = 0; i < 100; i++) stats.sentOne(i * 10, i * 10 + (i === 5 ? 40 : 0.01));
    stats.notSentOne();
    const s = stats.summary();
    expect(s.sent).toBe(100);
    expect(s.notSent).toBe(1);
    expect(s.lagP50Ms).toBeLessThanOrEqual(0.05);
    expect(s.lagMaxMs).toBeCloseTo(40);
    expect(s.steadyLagP99Ms).toBeLessThanOrEqual(0.05); // the 40 ms one was due before steadyFrom
    expect(s.maxGapMs).toBeCloseTo(49.99);
  });

  it('a request is too late past two intervals or 50 ms, whichever is larger', () => {
    expect(tooLate(0, 49, 10_000)).toBe(false);
    expect(tooLate(0, 51, 10_000)).toBe(true);
    expect(tooLate(0, 150, 10)).toBe(false);
    expect(tooLate(0, 201, 10)).toBe(true);
    expect(connectionBudget(20, 2000)).toBe(56);
    expect(connectionBudget(10_000, 2000, 1024)).toBe(512);
  });

  it('against a real server that stalls, requests that cannot leave on time are the driver\'s, never the service\'s', async () => {
    // A server that answers only after 300 ms; one connection at most: at 100 req/s most requests cannot leave on time.
    const body = JSON.stringify({ instance: 'slow-1', node: 'n', cluster: 'c', region: 'r', zone: 'z', subzone: '' });
    const server: Server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.on('data', () => setTimeout(() => socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`), 300));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const records: RequestRecord[] = [];
    const sender = new Sender({ client: 'c', target: new URL(`http://127.0.0.1:${port}/`), rate: 100, timeoutMs: 2000, connections: 1, clock: systemClock, record: (r) => records.push(r) });
    try {
      await sender.run(systemClock.now(), 1000);
    } finally {
      server.close();
    }
    const served = records.filter((r) => r.error === null);
    const overload = records.filter((r) => r.error === 'driver-overload');
    expect(records.length).toBe(sender.scheduled);
    expect(served.length).toBeGreaterThanOrEqual(2);
    expect(served.every((r) => r.instance === 'slow-1' && r.latencyMs >= 290)).toBe(true);
    expect(overload.length).toBeGreaterThan(80);
    expect(served.length + overload.length).toBe(records.length);
    expect(sender.stats.summary().notSent).toBe(overload.length);
  });

  it('opens new connections paced, not one for every request waiting: an overload must not feed itself', async () => {
    // A server that takes every request and never answers: each request due needs a connection of its own.
    const sockets: import('node:net').Socket[] = [];
    const server: Server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const records: RequestRecord[] = [];
    const sender = new Sender({ client: 'c', target: new URL(`http://127.0.0.1:${port}/`), rate: 5000, timeoutMs: 400, connections: 4000, clock: systemClock, record: (r) => records.push(r) });
    const started = systemClock.now();
    try {
      await sender.run(started, 300);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
    // 1,500 requests were due; unpaced, 473 connections opened in these 300 ms here (paced: 207-218).
    const ranMs = 300 + 5;
    expect(sender.connectionsOpened).toBeGreaterThanOrEqual(freeOpens(5000));
    expect(sender.connectionsOpened).toBeLessThanOrEqual(freeOpens(5000) + Math.ceil(ranMs / OPEN_EVERY_MS) + 2);
    // Every request due still ends as exactly one record: timed out on a connection, or not sent.
    expect(records.length).toBe(sender.scheduled);
    expect(records.every((r) => r.error === 'timeout' || r.error === 'driver-overload')).toBe(true);
  });
});

describe('LineBuffer (the driver\'s record writer)', () => {
  it('hands every line to the sink, in order and whole, across its 1 MiB buffers', async () => {
    const { LineBuffer } = await import('../../harness/traffic/line-buffer.js');
    const chunks: Buffer[] = [];
    const lines = new LineBuffer((c) => chunks.push(c));
    lines.flush();
    expect(chunks).toEqual([]);
    const want: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      const line = `{"n":${i},"pad":"${'é'.repeat(i % 50)}"}\n`;
      want.push(line);
      lines.write(line);
      if (i % 1000 === 0) lines.flush();
    }
    lines.flush();
    expect(Buffer.concat(chunks).toString('utf8')).toBe(want.join(''));
    // More than one buffer was used, and no chunk is empty.
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBeGreaterThan(1024 * 1024);
    expect(chunks.every((c) => c.length > 0)).toBe(true);
  });
});
