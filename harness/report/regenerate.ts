import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { binSize, clientSeries, controlPlaneSeries } from '../analysis/series.js';
import type { Journal } from '../core/journal.js';
import type { ControlPlaneRecord, ProbeRecord, StatusRecord } from '../probes/record.js';
import type { RequestRecord } from '../traffic/record.js';
import { writeAtomic } from './atomic-write.js';
import { buildIndex, renderIndexHtml, summarize, type RunSummary } from './history.js';
import { writeReports } from './write-reports.js';

// Side effects of `npm run report`: read a run's report.json and raw records,
// recompute the chart series, and write every report again; build the history index.

export function readJournal(dir: string): Journal {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Journal;
}

/** Parses an NDJSON file line by line without holding an array of lines. */
function* ndjson<T>(path: string): Generator<T> {
  const text = readFileSync(path, 'utf8');
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) yield JSON.parse(text.slice(start, end)) as T;
    start = end + 1;
  }
}

export function regenerate(dir: string): { journal: Journal; failures: string[]; records: number } {
  const journal = readJournal(dir);
  const requests = new Map<string, RequestRecord[]>();
  const probes: ProbeRecord[] = [];
  const statuses: StatusRecord[] = [];
  let count = 0;
  for (const file of journal.records.files) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    for (const r of ndjson<RequestRecord | ControlPlaneRecord>(path)) {
      count++;
      if ('client' in r) (requests.get(r.client) ?? requests.set(r.client, []).get(r.client)!).push(r);
      else if (r.probe === 'status') statuses.push(r);
      else probes.push(r);
    }
  }
  const first = journal.clients[0];
  if (first) {
    const start = first.phases.baseline.start;
    const end = first.phases.recovery.end;
    const binMs = binSize(end - start);
    for (const c of journal.clients) {
      const mine = (requests.get(c.name) ?? []).sort((a, b) => a.sentAt - b.sentAt);
      c.series = clientSeries(mine, start, end, binMs);
    }
    if (journal.controlPlane) journal.controlPlane.series = controlPlaneSeries(probes, statuses, start, end, binMs);
  }
  return { journal, failures: writeReports(dir, journal), records: count };
}

/** Finds run folders (those with a report.json) directly under `reportsDir` and writes index.json + index.html there. */
export function writeIndex(reportsDir: string): RunSummary[] {
  const runs: RunSummary[] = [];
  for (const name of existsSync(reportsDir) ? readdirSync(reportsDir) : []) {
    const dir = join(reportsDir, name);
    if (!statSync(dir).isDirectory() || !existsSync(join(dir, 'report.json'))) continue;
    try {
      runs.push(summarize(relative(reportsDir, dir), readJournal(dir)));
    } catch {
      // a torn or foreign report.json: leave it out of the index
    }
  }
  const index = buildIndex(runs, new Date().toISOString());
  writeAtomic(join(reportsDir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  writeAtomic(join(reportsDir, 'index.html'), renderIndexHtml(index));
  return runs;
}
