import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { binSize, clientSeries, controlPlaneSeries } from '../analysis/series.js';
import type { Journal } from '../core/journal.js';
import type { ControlPlaneRecord, ProbeRecord, StatusRecord } from '../probes/record.js';
import type { RequestRecord } from '../traffic/record.js';
import { RecordColumns } from '../traffic/record-columns.js';
import { readNdjson, TornLineError, type FileDigest } from '../traffic/ndjson-file.js';
import { UsageError } from '../core/errors.js';
import { writeAtomic } from './atomic-write.js';
import { buildIndex, renderIndexHtml, summarize, type RunSummary } from './history.js';
import { writeReports } from './write-reports.js';

// Side effects of `npm run report`: read a run's report.json and raw records,
// recompute the chart series, and write every report again; build the history index.

export function readJournal(dir: string): Journal {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Journal;
}

/** What differs between a records file and what report.json recorded of it, or null. */
export function digestProblem(file: string, recorded: FileDigest, now: FileDigest): string | null {
  if (now.lines < recorded.lines) return `${now.lines} records, the run wrote ${recorded.lines}: the file lost its tail from line ${now.lines + 1}`;
  if (now.lines > recorded.lines) return `${now.lines} records, the run wrote ${recorded.lines}: lines were added after the run`;
  if (now.sha256 !== recorded.sha256) return `its SHA-256 differs from the one the run recorded (${recorded.sha256.slice(0, 12)}…): ${file} was edited after the run`;
  return null;
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
    const recorded = journal.records.digests?.[file];
    if (!existsSync(path)) {
      throw new UsageError(`${path}: missing; report.json lists it as one of the run's records`, 'restore the file from the run (or its CI artifact); nothing was regenerated');
    }
    let digest: FileDigest;
    try {
      digest = readNdjson<RequestRecord | ControlPlaneRecord>(path, (r) => {
        count++;
        if ('client' in r) requests.push(r);
        else if (r.probe === 'status') statuses.push(r);
        else probes.push(r);
      });
    } catch (error) {
      if (error instanceof TornLineError) throw new UsageError(error.message, 'the file was cut or edited after the run; restore it from the run (or its CI artifact); nothing was regenerated');
      throw error;
    }
    const problem = recorded && digestProblem(file, recorded, digest);
    if (problem) throw new UsageError(`${path}: ${problem}`, 'restore the file from the run (or its CI artifact); nothing was regenerated');
  }
  const first = journal.clients[0];
  if (first) {
    const start = first.phases.baseline.start;
    const end = first.phases.recovery.end;
    const binMs = binSize(end - start, undefined, journal.settings.ratePerClient);
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
