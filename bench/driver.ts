// Benchmark: the traffic driver against autocannon, same static target, same run.
// Starts Envoy on loopback answering every request with a fixed identity
// (a direct response, no backend: the responder is never the bottleneck we measure), runs
// autocannon (10 connections) for its ceiling right before each of our driver's rates:
// 2k req/s (largest send gap), 10k req/s (schedule lag), then rising rates
// until it no longer sustains one (a miss is run once more, twice in a run at most; held: also lag p99 within 5 ms). Finally loads 1M records into record columns
// in a child process to measure what a record costs in memory. Last, the path
// a local run takes, driver → Envoy sidecar (configured as the local provider
// configures it) → echo instance, beside driver → echo: the latency the
// sidecar adds at 2k and 10k req/s, and the highest rate held through it.
// Usage: npm run bench:driver [-- --json] [-- --seconds N]
import autocannon from 'autocannon';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { realExecutor, type ChildHandle } from '../harness/exec/index.js';
import type { SendSummary } from '../harness/traffic/send-stats.js';
import { buildDriverBundle } from '../harness/traffic/driver-bundle.js';
import { findEnvoy, installEnvoy } from '../harness/providers/local/envoy-install.js';
import { stringify } from 'yaml';
import { freePort, sidecarPath } from './sidecar-path.js';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, seconds: { type: 'string', default: '5' } } });
const seconds = Number(values.seconds);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSX = fileURLToPath(import.meta.resolve('tsx'));
const dir = mkdtempSync(join(tmpdir(), 'fh-bench-driver-'));
const children: ChildHandle[] = [];
let bundle = '';
const log = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);

const IDENTITY = { instance: 'static-1', node: 'bench', cluster: 'bench', region: 'region-1', zone: 'zone-a', subzone: '' };

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing answers on 127.0.0.1:${port}`);
}

/** Envoy answering every request itself (a direct response): the static target. One worker, as HAProxy had one thread. */
function responderConfig(port: number, admin: number): string {
  return stringify({
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: admin } } },
    static_resources: {
      listeners: [
        {
          name: 'static',
          address: { socket_address: { address: '127.0.0.1', port_value: port } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'static',
                    route_config: { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: JSON.stringify(IDENTITY) } }, response_headers_to_add: [{ header: { key: 'content-type', value: 'application/json' } }] }] }] },
                    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  });
}

interface DriverRun extends SendSummary {
  rate: number;
  /** autocannon's rate on the same target just before this run (from 10k on). */
  autocannonRps?: number | undefined;
  /** Connections the driver opened. */
  connections: number;
  recorded: number;
  scheduled: number;
  achievedRps: number;
  failed: number;
  /** Latency of the answered requests (ms), nearest rank. */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

async function runDriver(url: string, rate: number, durationS: number): Promise<DriverRun> {
  const out = join(dir, `records-${rate}.ndjson`);
  const summary = join(dir, `summary-${rate}.json`);
  const argv = [process.execPath, bundle, '--client', 'bench', '--target', url, '--rate', String(rate), '--timeout-ms', '2000', '--max-duration-ms', String(durationS * 1000), '--start-at', String(Date.now() + 5000), '--out', out, '--summary', summary];
  const child = realExecutor.spawn(argv, { logFile: join(dir, 'driver.log') });
  children.push(child);
  const { exitCode } = await child.exited;
  if (exitCode !== 0) throw new Error(`driver at ${rate} req/s exited ${exitCode}: ${readFileSync(join(dir, 'driver.log'), 'utf8').slice(-500)}`);
  const s = JSON.parse(readFileSync(summary, 'utf8')) as DriverRun;
  let failed = 0;
  const latencies: number[] = [];
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    if (!line) continue;
    if (!line.includes('"error":null')) {
      if (!line.includes('"driver-overload"')) failed++;
      continue;
    }
    latencies.push((JSON.parse(line) as { latencyMs: number }).latencyMs);
  }
  rmSync(out);
  latencies.sort((a, b) => a - b);
  const rank = (q: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]! : null);
  return { ...s, rate, failed, achievedRps: s.sent / durationS, latencyP50Ms: rank(0.5), latencyP99Ms: rank(0.99) };
}

/** Rates not sustained that are run again before the ramp ends (see the ramp). */
const RETRIES = 2;

/** Held: every request sent answered, at most 1% not sent on time, lag p99 after the first second within 5 ms. */
/** Sustained (the issue's "sustained rate", k6's sense of an arrival rate kept): every request sent answered, at most 1% not sent on time. */
const sustained = (r: DriverRun) => r.failed === 0 && r.notSent <= r.scheduled * 0.01;
/** Held: sustained, and schedule-lag p99 after the first second within 5 ms (the figure's own bar at 10k). */
const held = (r: DriverRun) => sustained(r) && (r.steadyLagP99Ms ?? Infinity) <= 5;

/** The largest gap a bare setImmediate loop sees on this machine in `seconds`: the floor under any send gap. */
async function machineGapMs(durationS: number): Promise<number> {
  const script = `let p=performance.now(),m=0;const e=p+${durationS * 1000};(function t(){const n=performance.now();m=Math.max(m,n-p);p=n;if(n<e)setImmediate(t);else console.log(m)})()`;
  const { stdout } = await realExecutor.run([process.execPath, '-e', script], { timeoutMs: durationS * 1000 + 10_000 });
  return Number(stdout.trim());
}

/**
 * The largest gap a process that only reads the clock sees in `seconds`: no event loop, no garbage collector
 * (python3, whose floats are freed as they go). What this VM's scheduler leaves to any program; null without python3.
 */
async function spinGapMs(durationS: number): Promise<number | null> {
  const script = `import time\nt=time.perf_counter\np=t();e=p+${durationS};m=0.0\nwhile True:\n n=t()\n if n-p>m: m=n-p\n p=n\n if n>e: break\nprint(m*1000)`;
  try {
    const { stdout } = await realExecutor.run(['python3', '-c', script], { timeoutMs: durationS * 1000 + 10_000 });
    return Number(stdout.trim());
  } catch {
    return null;
  }
}

/** 1M records into an NDJSON file, then into record columns in a fresh process. */
async function recordMemory(n: number): Promise<{ bytesPerRecord: number; columnBytesPerRecord: number; rssGrowthMiB: number }> {
  const file = join(dir, 'memory.ndjson');
  const out = createWriteStream(file);
  const zones = ['zone-a', 'zone-b', 'zone-c'];
  for (let i = 0; i < n; i++) {
    const z = zones[i % 3]!;
    const ok = i % 50 !== 0;
    const line = ok
      ? { client: `client-${i % 3}`, sentAt: 1.8e12 + i * 0.1, latencyMs: 0.3 + (i % 97) / 10, status: 200, error: null, instance: `svc-${z}-${i % 2}`, cluster: 'c1', region: 'region-1', zone: z, subzone: '' }
      : { client: `client-${i % 3}`, sentAt: 1.8e12 + i * 0.1, latencyMs: 2, status: 0, error: 'connection-refused', instance: null, cluster: null, region: null, zone: null, subzone: null };
    if (!out.write(`${JSON.stringify(line)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  const { stdout } = await realExecutor.run([process.execPath, '--expose-gc', '--import', TSX, join(ROOT, 'bench/record-memory.ts'), file], { timeoutMs: 120_000 });
  rmSync(file);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { bytesPerRecord: number; columnBytesPerRecord: number; rssGrowthMiB: number };
}

const fmt = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '-' : v.toFixed(digits));

try {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const envoy = (await findEnvoy(realExecutor)) ?? (await installEnvoy(realExecutor, log));
  writeFileSync(join(dir, 'responder.yaml'), responderConfig(port, await freePort()));
  const responder = realExecutor.spawn([envoy, '-c', join(dir, 'responder.yaml'), '--disable-hot-restart', '--concurrency', '1', '-l', 'warning'], { logFile: join(dir, 'responder.log') });
  children.push(responder);
  await waitForPort(port);
  // The driver as the harness runs it: bundled, with plain node (traffic/driver-bundle.ts).
  bundle = await buildDriverBundle(realExecutor, join(dir, 'driver.mjs'));

  // autocannon right before each driver rate from 10k on, and each rate is compared with its own: this VM's
  // speed drifts by a third within minutes (43k then 25k req/s in one run), and one ceiling for the whole
  // run would credit or blame the driver for the drift.
  const acSeconds = Math.max(2, seconds / 2);
  const rpsOf = (r: Awaited<ReturnType<typeof autocannon>>) => r.requests.total / r.duration;
  const runs: DriverRun[] = [];
  const at = async (rate: number, withCeiling: boolean) => {
    let autocannonRps: number | undefined;
    if (withCeiling) {
      log(`autocannon -c10 for ${acSeconds} s against ${url} (after 1 s not counted) …`);
      // Its first second is not counted. Counted from the start, the figure taken right after the 2k run came
      // out at 24-25k in two runs of three whose later figures were 38-45k, flattering the driver at 10k;
      // with that second left out, in one run of nine.
      await autocannon({ url, connections: 10, duration: 1 });
      autocannonRps = rpsOf(await autocannon({ url, connections: 10, duration: acSeconds }));
    }
    log(`driver at ${rate} req/s for ${seconds} s …`);
    const r = { ...(await runDriver(url, rate, seconds)), autocannonRps };
    runs.push(r);
    return r;
  };
  const at2k = await at(2000, false);
  const at10k = await at(10_000, true);
  if (sustained(at10k)) {
    // Up in steps of 2.5k until a rate is not sustained. A miss is run once more (RETRIES in a run at most,
    // each its own row); the ramp ends at a second miss, or at a miss with no retry left. This VM has slow
    // phases of tens of seconds (autocannon at 28k between 40k and 42k), and one of them ended a ramp at
    // 17.5k that held 22.5k in the next run.
    let retries = RETRIES;
    for (let rate = 12_500; rate <= Math.max(12_500, at10k.autocannonRps! * 1.2); rate += 2500) {
      if (sustained(await at(rate, true))) continue;
      if (retries-- === 0 || !sustained(await at(rate, true))) break;
    }
  }
  // The highest rate held and the highest sustained, each against the autocannon figure taken just before it.
  // Any rate held counts, not only one above a held rate: the VM's drift can fail 10k and hold 20k a minute later.
  const highest = (ok: (r: DriverRun) => boolean) => runs.filter((r) => r.autocannonRps && ok(r)).at(-1);
  const best = highest(held);
  const bestSustained = highest(sustained);
  const ratioOf = (r: (typeof runs)[number] | undefined) => (r?.autocannonRps ? r.achievedRps / r.autocannonRps : 0);
  const ceilings = runs.flatMap((r) => (r.autocannonRps ? [r.autocannonRps] : []));
  // The local run's path: driver → Envoy sidecar → echo, beside driver → echo. The static responder is stopped
  // first: the two cores are the echo's and the sidecar's now.
  responder.signal('SIGKILL');
  await responder.exited;
  const path = await sidecarPath(envoy, async (target, rate) => runDriver(target, rate, seconds), log);
  log(`a bare event loop for ${seconds} s (the machine's own scheduling gaps) …`);
  const floorGapMs = await machineGapMs(seconds);
  log(`a process spinning on the clock for ${seconds} s (no event loop, no garbage collector) …`);
  const spinFloorMs = await spinGapMs(seconds);
  log('loading 1,000,000 records into record columns …');
  const memory = await recordMemory(1_000_000);

  const rows = [
    ['run', 'rate req/s', 'sent req/s', 'autocannon just before', 'ratio', 'not sent', 'failed', 'conns', 'lag p50 ms', 'lag p99 ms', 'p99 after 1 s', 'lag max ms', 'max gap ms', 'sustained', 'held'],
    ...runs.map((r) => ['driver', String(r.rate), r.achievedRps.toFixed(0), r.autocannonRps?.toFixed(0) ?? '-', r.autocannonRps ? ratioOf(r).toFixed(2) : '-', String(r.notSent), String(r.failed), String(r.connections), fmt(r.lagP50Ms), fmt(r.lagP99Ms), fmt(r.steadyLagP99Ms), fmt(r.lagMaxMs), fmt(r.maxGapMs), sustained(r) ? 'yes' : 'no', held(r) ? 'yes' : 'no']),
    ['bare loop', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', fmt(floorGapMs), '-', '-'],
    ['spin (python3)', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', fmt(spinFloorMs), '-', '-'],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) log(row.map((cell, i) => cell.padStart(widths[i]!)).join('  '));
  log('');
  const pathRows = [
    ['path', 'rate req/s', 'sent req/s', 'not sent', 'failed', 'latency p50 ms', 'latency p99 ms', 'added p50 ms', 'added p99 ms', 'held'],
    ...path.rows.map((r) => [r.via, String(r.run.rate), r.run.achievedRps.toFixed(0), String(r.run.notSent), String(r.run.failed), fmt(r.run.latencyP50Ms), fmt(r.run.latencyP99Ms), fmt(r.addedP50Ms), fmt(r.addedP99Ms), held(r.run) ? 'yes' : 'no']),
  ];
  const pathWidths = pathRows[0]!.map((_, i) => Math.max(...pathRows.map((row) => row[i]!.length)));
  for (const row of pathRows) log(row.map((cell, i) => cell.padStart(pathWidths[i]!)).join('  '));
  const result = {
    driverRps: Math.round(best?.achievedRps ?? 0),
    // autocannon measured just before the highest rate held (before 10k when none was held).
    autocannonRps: Math.round((best ?? at10k).autocannonRps!),
    ratio: Number(ratioOf(best).toFixed(3)),
    autocannonRpsMin: Math.round(Math.min(...ceilings)),
    autocannonRpsMax: Math.round(Math.max(...ceilings)),
    // The highest rate sent on time (at most 1% not sent, nothing failed) whatever its lag: the "sustained rate".
    sustainedRps: Math.round(bestSustained?.achievedRps ?? 0),
    sustainedRatio: Number(ratioOf(bestSustained).toFixed(3)),
    // Schedule lag at 10k req/s after the driver's first second (connections being opened); the whole run's is next to it.
    lagP99Ms: at10k.steadyLagP99Ms,
    lagP99MsWholeRun: at10k.lagP99Ms,
    lagP99MsAt: 10_000,
    notSentAt10k: at10k.notSent,
    maxGapMsAt2k: at2k.maxGapMs,
    maxGapIntervalsAt2k: at2k.maxGapMs === null ? null : Number((at2k.maxGapMs / 0.5).toFixed(2)),
    machineMaxGapMs: Number(floorGapMs.toFixed(2)),
    spinMaxGapMs: spinFloorMs === null ? null : Number(spinFloorMs.toFixed(2)),
    bytesPerRecord: Number(memory.bytesPerRecord.toFixed(1)),
    columnBytesPerRecord: memory.columnBytesPerRecord,
    rssGrowthMiBPer1M: Number(memory.rssGrowthMiB.toFixed(1)),
    // driver → Envoy sidecar → echo: latency the sidecar adds over driver → echo, and the highest rate held through it.
    sidecarAddedP50MsAt2k: path.added(2000)?.addedP50Ms ?? null,
    sidecarAddedP99MsAt2k: path.added(2000)?.addedP99Ms ?? null,
    sidecarAddedP50MsAt10k: path.added(10_000)?.addedP50Ms ?? null,
    sidecarAddedP99MsAt10k: path.added(10_000)?.addedP99Ms ?? null,
    sidecarHeldRps: Math.round(path.heldRps),
  };
  log('');
  log(`driver held ${result.driverRps} req/s = ${result.ratio}× autocannon just before it (${result.autocannonRps}; autocannon ranged ${result.autocannonRpsMin}-${result.autocannonRpsMax} in this run); lag p99 at 10k: ${fmt(result.lagP99Ms)} ms after its first second, ${fmt(result.lagP99MsWholeRun)} ms over the run`);
  log(`driver sustained ${result.sustainedRps} req/s = ${result.sustainedRatio}× autocannon (on time: at most 1% not sent, nothing failed; lag not bounded)`);
  log(`max send gap at 2k: ${fmt(result.maxGapMsAt2k)} ms (${result.maxGapIntervalsAt2k} intervals); a bare event loop on this machine: ${fmt(result.machineMaxGapMs)} ms; a process only reading the clock: ${fmt(result.spinMaxGapMs)} ms`);
  log(`through the Envoy sidecar: +${fmt(result.sidecarAddedP50MsAt2k)} ms p50 / +${fmt(result.sidecarAddedP99MsAt2k)} ms p99 at 2k, +${fmt(result.sidecarAddedP50MsAt10k)} / +${fmt(result.sidecarAddedP99MsAt10k)} ms at 10k; held up to ${result.sidecarHeldRps} req/s`);
  log(`records: ${result.bytesPerRecord} B each live (${result.columnBytesPerRecord} in columns); 1M records: RSS +${result.rssGrowthMiBPer1M} MiB`);
  if (values.json) console.log(JSON.stringify(result));
} finally {
  for (const c of children) c.signal('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  rmSync(dir, { recursive: true, force: true });
}
