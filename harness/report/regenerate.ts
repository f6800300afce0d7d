import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { binSize, clientSeries, controlPlaneSeries } from '../analysis/series.js';
import type { Journal } from '../core/journal.js';
import type { ControlPlaneRecord, ProbeRecord, StatusRecord } from '../probes/record.js';
import type { RequestRecord } from '../traffic/record.js';
import { RecordColumns } from '../traffic/record-columns.js';
import { readNdjson } from '../traffic/ndjson-file.js';
import { writeAtomic } from './atomic-write.js';
import { buildIndex, renderIndexHtml, summarize, type RunSummary } from './history.js';
import { writeReports } from './write-reports.js';

// Side effects of `npm run report`: read a run's report.json and raw records,
// recompute the chart series, and write every report again; build the history index.

export function readJournal(dir: string): Journal {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Journal;
}

export function regenerate(dir: string): { journal: Journal; failures: string[]; records: number } {
  const journal = readJournal(dir);
  // Request records as columns (25 B each), not objects (~340 B): a million-record run regenerates in a few tens of MB.
  const requests = new RecordColumns();
  const probes: ProbeRecord[] = [];
  const statuses: StatusRecord[] = [];
  let count = 0;
  for (const file of journal.records.files) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    readNdjson<RequestRecord | ControlPlaneRecord>(path, (r) => {
      count++;
      if ('client' in r) requests.push(r);
      else if (r.probe === 'status') statuses.push(r);
      else probes.push(r);
    });
  }
  const first = journal.clients[0];
  if (first) {
    const start = first.phases.baseline.start;
    const end = first.phases.recovery.end;
    const binMs = binSize(end - start);
    for (const c of journal.clients) {
      c.series = clientSeries({ [Symbol.iterator]: () => requests.ofClient(c.name) }, start, end, binMs);
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
