// The traffic driver: one client's constant-arrival-rate request stream,
// recording every request. Runs inside the client's node (network namespace).
// Usage: driver --client NAME --target URL --rate N --max-duration-ms N --timeout-ms N --out FILE|- [--start-at EPOCH_MS] [--allow-target HOST]…
//               [--stop-file PATH] [--summary PATH] [--connection-per-request]
// Stops on SIGTERM (after in-flight requests settle), when --stop-file appears
// (how the harness stops a driver in a kind Job, where it cannot signal it; a stop
// before the agreed start sends nothing),
// or at --max-duration-ms. --summary gets {client, sent, recorded, scheduled, connections,
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
import { Sender, spinsAt } from './sender.js';
import { connectionBudget } from './send-stats.js';
import { isAllowedTarget } from './target-guard.js';
import { LineBuffer } from './line-buffer.js';
import { RECORDS_WRITE_FAILED } from './driver-exit.js';

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
    /** A new connection for every request (no proxy in front: kube-proxy balances connections; see sender.ts). */
    'connection-per-request': { type: 'boolean' },
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
// A record that cannot be written ends the driver at once (driver-exit.ts).
const writeFailed = (error: unknown): never => {
  process.stderr.write(`driver ${values.client}: cannot write records to ${values.out}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(RECORDS_WRITE_FAILED);
};
out.on('error', writeFailed);
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
/** Where records go: the warm-up's into a buffer that keeps nothing, then the run's (one function for both, see warmUp). */
let sink = lines;
function write(record: RequestRecord): void {
  sink.write(`${JSON.stringify(record)}\n`);
}

// The client's name, so an instance can tell when it last heard from it (gray faults).
const headers = { 'x-fh-client': client };
const connections = connectionBudget(rate, timeoutMs, fdLimit());
// The warm-up's Senders spin or sleep as the run's will, whatever their own (capped) rate: they train the run's paths.
const spin = spinsAt(rate);
const newSender = (to: URL, r: number) => new Sender({ client, target: to, rate: r, timeoutMs, connections, clock, record: write, headers, spin, connectionPerRequest: values['connection-per-request'] ?? false });
/** The Sender running now: a warm-up pass's, then the run's. */
let current: Sender | undefined;
let stopping = false;

/**
 * The warm-up's rate at most. This process is both ends of the warm-up, so it
 * costs about twice what the run does: at the run's rate (15k and more) it
 * was overloaded itself, and trained the JIT on the overload's paths with
 * hundreds of connections. Its Senders spin or sleep as the run's (see
 * newSender), so a warm-up at 8k takes the paths of a run above SPIN_MAX_RATE.
 */
const WARM_UP_MAX_RATE = 8000;

/**
 * Runs the very code of the run (Senders at the run's rate, up to
 * WARM_UP_MAX_RATE) against a throwaway responder on this process's own
 * loopback before the first due request: undici compiles its HTTP parser on
 * the first connection and the JIT needs thousands of passes through the same
 * functions, which otherwise cost the first second tens of ms of lag at high
 * rates. The responder is a bare socket writing a canned answer, so the
 * warm-up spends its time in the driver's code. Nothing reaches the target.
 * Best effort, within `budgetMs`.
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
    // Its records go through the run's own function, into a buffer that keeps nothing: a different
    // function there is a "wrong call target" for the JIT, which throws the optimised code away at the start.
    sink = new LineBuffer();
    // Twice, each with a fresh Sender as the run will have: what changes from one Sender to the next
    // deoptimises in the second pass rather than in the run's first milliseconds.
    const passMs = (budgetMs - timeoutMs / 2) / 2;
    for (let pass = 0; pass < 2 && !stopping; pass++) {
      current = newSender(local, Math.min(rate, WARM_UP_MAX_RATE));
      await current.run(clock.now(), passMs);
    }
  } catch {
    // no loopback here (a namespace with lo down): start cold
  } finally {
    sink = lines;
    server.close();
  }
  // Collect the warm-up's garbage now rather than in the first second of the run.
  v8.setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await current?.stop();
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
// Made after the warm-up, not before: its objects then have the shapes the warm-up settled on (an object
// made earlier keeps a map the JIT has since retired, and its first use in the run throws optimised code away).
const sender = newSender(target, rate);
current = sender;
// Stopped during the warm-up: no request is sent, and the summary says so (0 scheduled).
if (!stopping) await sender.run(start, maxDuration);
clearInterval(flushTimer);
flush();
const done = () => {
  if (values.summary) {
    // Written whole, then renamed: a reader never sees half a summary.
    const { sent, ...figures } = sender.stats.summary();
    try {
      writeFileSync(`${values.summary}.tmp`, `${JSON.stringify({ client, sent, recorded: sender.recorded, scheduled: sender.scheduled, connections: sender.connectionsOpened, ...figures })}\n`);
      renameSync(`${values.summary}.tmp`, values.summary);
    } catch (error) {
      writeFailed(error);
    }
  }
  process.exit(0);
};
if (toStdout) out.write('', done);
else out.end(done);
