// Benchmark: regenerate the reports of a run with 1,000,000 request records.
// Prints how long parsing + series + rendering took and how big report.html is.
// Usage: npm run bench:report [-- RECORDS] [-- --json]  (--json: the last line is one JSON object)
import { parseArgs } from 'node:util';
import { mkdirSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyseRun } from '../harness/runner/analyse-run.js';
import { parseExperiment } from '../harness/core/experiment.js';
import { writeReports } from '../harness/report/write-reports.js';
import { regenerate } from '../harness/report/regenerate.js';
import zoneOutage from '../experiments/zone-outage.js';
import type { RequestRecord } from '../harness/traffic/record.js';
import type { Journal } from '../harness/core/journal.js';

const { values, positionals } = parseArgs({ options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
const total = Number(positionals[0] ?? 1_000_000);
if (!(total > 0)) {
  console.error(`bench:report: records must be a positive number, got ${positionals[0]}`);
  process.exit(2);
}
const ex = parseExperiment(zoneOutage, 'zone-outage');
const clients = ex.topology.clients;
const rate = 1000; // req/s per client: 1M records over ~333 s with 3 clients
const perClient = Math.ceil(total / clients.length);
const t0 = 1_800_000_000_000;
const durationMs = (perClient / rate) * 1000;
const windows = { baselineStart: t0, faultStart: t0 + durationMs / 3, injectedAt: t0 + durationMs / 3 + 5, recoveryStart: t0 + (2 * durationMs) / 3, revertedAt: t0 + (2 * durationMs) / 3 + 50, end: t0 + durationMs };

const dir = join(tmpdir(), `fh-bench-${process.pid}`);
mkdirSync(join(dir, 'records'), { recursive: true });
const records: RequestRecord[] = [];
console.log(`generating ${total} records…`);
for (const c of clients) {
  const out = createWriteStream(join(dir, 'records', `${c.name}.ndjson`));
  for (let i = 0; i < perClient; i++) {
    const sentAt = t0 + (i * 1000) / rate;
    const inFault = sentAt >= windows.faultStart && sentAt < windows.recoveryStart;
    const failed = inFault && c.name === 'client-a' && sentAt < windows.injectedAt + 100;
    const zone = inFault && c.name === 'client-a' ? (i % 2 ? 'zone-b' : 'zone-c') : c.locality.zone;
    const r: RequestRecord = failed
      ? { client: c.name, sentAt, latencyMs: 2, status: 503, error: 'http-status', instance: null, cluster: null, region: null, zone: null, subzone: null }
      : { client: c.name, sentAt, latencyMs: 1 + (i % 7), status: 200, error: null, instance: `svc-${zone.slice(-1)}-1`, cluster: 'c1', region: 'eu-west-1', zone, subzone: '' };
    records.push(r);
    out.write(`${JSON.stringify(r)}\n`);
  }
  await new Promise((resolve) => out.end(resolve));
}
const journal: Journal = {
  schemaVersion: 1, runId: 'bench', experiment: ex.name, description: ex.description, provider: 'local', isolation: 'process', status: 'passed',
  startedAt: new Date(t0).toISOString(), finishedAt: new Date(windows.end).toISOString(),
  settings: { ratePerClient: rate, requestTimeoutMs: 2000, phasesMs: ex.phases, recoveryWindowMs: 1000, recoveryThreshold: 1 },
  policy: ex.policy, topology: { nodes: ex.topology.nodes }, timeline: [],
  faults: [{ kind: 'zone-outage', target: 'zone=zone-a', mode: 'kill', affected: ['svc-a-1', 'svc-a-2'], injectStartedAtMs: windows.faultStart, injectedAtMs: windows.injectedAt, revertStartedAtMs: windows.recoveryStart, revertedAtMs: windows.revertedAt }],
  clients: analyseRun(ex, records, windows, { windowMs: 1000, threshold: 1 }), assertions: [],
  metrics: { requests: total, failed: 0, worstRecoveryTimeMs: null, assertionsPassed: 0, assertionsFailed: 0 },
  environment: {}, records: { files: clients.map((c) => `records/${c.name}.ndjson`), count: total },
};
records.length = 0;
writeReports(dir, journal);

const inUse = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
// Collect the generator's garbage first (the script runs with --expose-gc), so the growth below is regenerate's own.
(globalThis as { gc?: () => void }).gc?.();
const memBefore = inUse();
const started = performance.now();
const { records: parsed } = regenerate(dir);
const ms = performance.now() - started;
const html = statSync(join(dir, 'report.html')).size;
console.log(`records: ${parsed}`);
console.log(`regenerate (parse + series + json/md/html/junit): ${Math.round(ms)} ms`);
console.log(`report.html: ${(html / 1024).toFixed(0)} KiB; report.json: ${(statSync(join(dir, 'report.json')).size / 1024).toFixed(0)} KiB`);
// Heap and array buffers still in use, before collection: an upper bound on what regenerating holds.
const memoryMiB = Math.round((inUse() - memBefore) / 1024 / 1024);
console.log(`memory in use after regenerate: +${memoryMiB} MiB (heap + array buffers, uncollected)`);
rmSync(dir, { recursive: true, force: true });
if (values.json) console.log(JSON.stringify({ records: parsed, regenerateMs: Math.round(ms), reportHtmlKiB: Math.round(html / 1024), memoryMiB }));
writeFileSync(1, '');
