// The traffic driver: one client's constant-arrival-rate request stream,
// recording every request. Runs inside the client's node (network namespace).
// Usage: driver --client NAME --target URL --rate N --max-duration-ms N --timeout-ms N --out FILE|- [--start-at EPOCH_MS] [--allow-target HOST]…
//               [--stop-file PATH] [--summary PATH]
// Stops on SIGTERM (after in-flight requests settle), when --stop-file appears
// (how the harness stops a driver in a kind Job, where it cannot signal it),
// or at --max-duration-ms. --summary gets {client, sent, recorded} once every
// record is written, so whoever copies the records can check none is missing.
import { createWriteStream, existsSync, renameSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { systemClock } from '../core/clock.js';
import { isIdentity } from '../workloads/identity.js';
import type { ErrorClass, RequestRecord } from './record.js';
import { dueAt, dueCount } from './schedule.js';
import { isAllowedTarget } from './target-guard.js';

const MAX_IN_FLIGHT = 2000;

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
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const clock = systemClock;
let inFlight = 0;
let recorded = 0;

function write(record: RequestRecord): void {
  recorded++;
  out.write(`${JSON.stringify(record)}\n`);
}

function classify(error: NodeJS.ErrnoException): ErrorClass {
  if (error.code === 'ECONNREFUSED') return 'connection-refused';
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return 'connection-reset';
  if (error.name === 'TimeoutError' || error.code === 'ETIMEDOUT') return 'timeout';
  return 'other';
}

function send(): void {
  const sentAt = clock.now();
  const base = { client, sentAt, instance: null, cluster: null, region: null, zone: null, subzone: null };
  if (inFlight >= MAX_IN_FLIGHT) {
    write({ ...base, latencyMs: 0, status: 0, error: 'driver-overload' });
    return;
  }
  inFlight++;
  let settled = false;
  const finish = (record: RequestRecord) => {
    if (settled) return;
    settled = true;
    inFlight--;
    write(record);
  };
  // The client's name, so an instance can tell when it last heard from it (gray faults).
  const req = request(target, { agent, timeout: timeoutMs, headers: { 'x-fh-client': client } }, (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('error', (error) => finish({ ...base, latencyMs: clock.now() - sentAt, status: res.statusCode ?? 0, error: classify(error) }));
    res.on('end', () => {
      const latencyMs = clock.now() - sentAt;
      const status = res.statusCode ?? 0;
      let who: unknown;
      try {
        who = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        who = undefined;
      }
      if (status !== 200) {
        // An error an instance answered itself (a gray failure) says who; one from the sidecar does not.
        const by = isIdentity(who) ? { instance: who.instance, cluster: who.cluster, region: who.region, zone: who.zone, subzone: who.subzone } : {};
        return finish({ ...base, ...by, latencyMs, status, error: 'http-status' });
      }
      if (!isIdentity(who)) return finish({ ...base, latencyMs, status, error: 'bad-response' });
      finish({ ...base, latencyMs, status, error: null, instance: who.instance, cluster: who.cluster, region: who.region, zone: who.zone, subzone: who.subzone });
    });
  });
  req.on('timeout', () => {
    finish({ ...base, latencyMs: clock.now() - sentAt, status: 0, error: 'timeout' });
    req.destroy();
  });
  req.on('error', (error: NodeJS.ErrnoException) => finish({ ...base, latencyMs: clock.now() - sentAt, status: 0, error: classify(error) }));
  req.end();
}

// All clients start at one agreed instant so their phases line up.
const start = Math.max(clock.now(), Number(values['start-at'] ?? 0));
let sent = 0;
let running = true;
let timer: NodeJS.Timeout | undefined;

function tick(): void {
  if (!running) return;
  const now = clock.now();
  if (now - start >= maxDuration) return void stop();
  const due = dueCount(start, now, rate);
  while (sent < due) {
    send();
    sent++;
  }
  timer = setTimeout(tick, Math.max(0, dueAt(start, sent, rate) - clock.now()));
}

async function stop(): Promise<void> {
  if (!running) return;
  running = false;
  if (timer) clearTimeout(timer);
  // Let in-flight requests settle (each is bounded by the request timeout).
  const deadline = clock.now() + timeoutMs + 500;
  while (inFlight > 0 && clock.now() < deadline) await clock.sleep(20);
  agent.destroy();
  const done = () => {
    if (values.summary) {
      // Written whole, then renamed: a reader never sees half a summary.
      writeFileSync(`${values.summary}.tmp`, `${JSON.stringify({ client, sent, recorded })}\n`);
      renameSync(`${values.summary}.tmp`, values.summary);
    }
    process.exit(0);
  };
  if (toStdout) out.write('', done);
  else out.end(done);
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
info(`scheduled ${client} ${start}`);
setTimeout(tick, Math.max(0, start - clock.now()));
