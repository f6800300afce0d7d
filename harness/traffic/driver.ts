// The traffic driver: one client's constant-arrival-rate request stream,
// recording every request. Runs inside the client's node (network namespace).
// Usage: driver --client NAME --target URL --rate N --max-duration-ms N --timeout-ms N --out FILE|- [--start-at EPOCH_MS] [--allow-target HOST]…
//               [--stop-file PATH] [--summary PATH]
// Stops on SIGTERM (after in-flight requests settle), when --stop-file appears
// (how the harness stops a driver in a kind Job, where it cannot signal it),
// or at --max-duration-ms. --summary gets {client, sent, recorded, scheduled,
// notSent, lag…, maxGapMs} once every record is written, so whoever copies
// the records can check none is missing, and the run can say how well the
// driver kept time. The sending itself is sender.ts.
import { createWriteStream, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { systemClock } from '../core/clock.js';
import type { RequestRecord } from './record.js';
import { Sender } from './sender.js';
import { connectionBudget } from './send-stats.js';
import { isAllowedTarget } from './target-guard.js';
import { LineBuffer } from './line-buffer.js';

// No allocation-site pretenuring: when V8 saw the warm-up's (or a stall's) exchanges survive a young
// collection, it began allocating them straight into the old generation for the rest of the run, and
// every collection after that was longer (10x the promoted bytes at 15k req/s, and lag p99 of 10-30 ms
// instead of a few). Set before the driver allocates anything of its own.
v8.setFlagsFromString('--no-allocation-site-pretenuring');

const { values } = parseArgs({
  options: {
    client: { type: 'string' },
    target: { type: 'string' },
    rate: { type: 'string' },
    'max-duration-ms': { type: 'string' },
    'timeout-ms': { type: 'string' },
    out: { type: 'string' },
    'start-at': { type: 'string' },
    /** A host outside loopback and 198.18.0.0/15 this run may target (the in-cluster service name on kind). */
    'allow-target': { type: 'string', multiple: true },
    'stop-file': { type: 'string' },
    summary: { type: 'string' },
  },
});
const rate = Number(values.rate);
const maxDuration = Number(values['max-duration-ms']);
const timeoutMs = Number(values['timeout-ms']);
if (!values.client || !values.target || !values.out || !(rate > 0) || !(maxDuration > 0) || !(timeoutMs > 0)) {
  console.error('usage: driver --client NAME --target URL --rate N --max-duration-ms N --timeout-ms N --out FILE');
  process.exit(2);
}
const client = values.client;
const target = new URL(values.target);
if (!isAllowedTarget(target.hostname, values['allow-target'] ?? [])) {
  console.error(`refusing to send traffic to ${target.hostname}: only loopback, 198.18.0.0/15 and hosts named by --allow-target are allowed`);
  process.exit(2);
}

// "--out -": records on stdout (read back with kubectl logs), messages on stderr.
const toStdout = values.out === '-';
const out = toStdout ? process.stdout : createWriteStream(values.out, { flags: 'a' });
const info = (line: string) => (toStdout ? console.error(line) : console.log(line));
const clock = systemClock;

/** The soft open-files limit (Linux), which bounds the connections the driver may open. */
function fdLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : 1024;
  } catch {
    return 1024;
  }
}

// Records are written as they are made, in batches: one write per flush, not per request.
const lines = new LineBuffer((chunk) => out.write(chunk));
const flush = () => lines.flush();
function write(record: RequestRecord): void {
  lines.write(`${JSON.stringify(record)}\n`);
}

// The client's name, so an instance can tell when it last heard from it (gray faults).
const headers = { 'x-fh-client': client };
const connections = connectionBudget(rate, timeoutMs, fdLimit());
const sender = new Sender({ client, target, rate, timeoutMs, connections, clock, record: write, headers });

/**
 * Runs the very code of the run (a Sender at the run's rate) against a
 * throwaway responder on this process's own loopback before the first due
 * request: undici compiles its HTTP parser on the first connection and the
 * JIT needs thousands of passes through the same functions, which otherwise
 * cost the first second tens of ms of lag at high rates. The responder is a
 * bare socket writing a canned answer, so the warm-up spends its time in the
 * driver's code. Nothing reaches the target. Best effort, within `budgetMs`.
 */
async function warmUp(budgetMs: number): Promise<void> {
  if (budgetMs < 100) return;
  const body = JSON.stringify({ instance: 'warm-up', node: '-', cluster: '-', region: '-', zone: '-', subzone: '' });
  const answer = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (let at = chunk.indexOf('\r\n\r\n'); at >= 0; at = chunk.indexOf('\r\n\r\n', at + 4)) socket.write(answer);
    });
  });
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    const local = new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    // Its records go the way the run's do, into a buffer that keeps nothing.
    const scratch = new LineBuffer();
    const record = (r: RequestRecord) => scratch.write(`${JSON.stringify(r)}\n`);
    const warm = new Sender({ client, target: local, rate: Math.min(rate, 20_000), timeoutMs, connections, clock, record, headers });
    await warm.run(clock.now(), budgetMs - timeoutMs / 4);
  } catch {
    // no loopback here (a namespace with lo down): start cold
  } finally {
    server.close();
  }
  // Collect the warm-up's garbage now rather than in the first second of the run.
  v8.setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await sender.stop();
}

process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
const stopFile = values['stop-file'];
if (stopFile) {
  const poll = setInterval(() => {
    if (existsSync(stopFile)) {
      clearInterval(poll);
      void stop();
    }
  }, 100);
}

// All clients start at one agreed instant so their phases line up.
const start = Math.max(clock.now(), Number(values['start-at'] ?? 0));
info(`scheduled ${client} ${start}`);
// Only rates that need it (the harness gives those a 4 s lead), and only when the start leaves time:
// a warm-up never delays the agreed start.
if (rate >= 500) await warmUp(Math.min(3000, start - clock.now() - 300));
const flushTimer = setInterval(flush, 20);
await sender.run(start, maxDuration);
clearInterval(flushTimer);
flush();
const done = () => {
  if (values.summary) {
    // Written whole, then renamed: a reader never sees half a summary.
    const { sent, ...figures } = sender.stats.summary();
    writeFileSync(`${values.summary}.tmp`, `${JSON.stringify({ client, sent, recorded: sender.recorded, scheduled: sender.scheduled, ...figures })}\n`);
    renameSync(`${values.summary}.tmp`, values.summary);
  }
  process.exit(0);
};
if (toStdout) out.write('', done);
else out.end(done);
