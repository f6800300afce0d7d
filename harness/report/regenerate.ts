import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { binSize, clientSeries, controlPlaneSeries } from '../analysis/series.js';
import type { Journal } from '../core/journal.js';
import type { ControlPlaneRecord, ProbeRecord, StatusRecord } from '../probes/record.js';
import type { RequestRecord } from '../traffic/record.js';
import { RecordColumns } from '../traffic/record-columns.js';
import { coarsened, readNdjson, TornLineError, type FileDigest } from '../traffic/ndjson-file.js';
import { UsageError } from '../core/errors.js';
import { z } from 'zod';
import { formatIssues } from '../core/experiment.js';
import { writeAtomic } from './atomic-write.js';
import { buildIndex, renderIndexHtml, summarize, type RunSummary } from './history.js';
import { writeReports } from './write-reports.js';

// Side effects of `npm run report`: read a run's report.json and raw records,
// recompute the chart series, and write every report again; build the history index.

/**
 * The outline of report.json that the reporters read: checked before anything
 * is rendered, so a damaged file is named with what is wrong with it (exit 2)
 * instead of failing deep inside a renderer.
 */
const phaseOutline = z.looseObject({ start: z.number(), end: z.number(), requests: z.number(), failed: z.number(), errorRate: z.number(), servedBy: z.looseObject({}), locality: z.looseObject({}) });
const journalOutline = z.looseObject({
  runId: z.string(),
  experiment: z.string(),
  provider: z.string(),
  status: z.enum(['passed', 'failed', 'unverified', 'aborted', 'error']),
  startedAt: z.string(),
  settings: z.looseObject({ ratePerClient: z.number(), phasesMs: z.looseObject({ baseline: z.number(), fault: z.number(), recovery: z.number() }) }),
  topology: z.looseObject({ nodes: z.array(z.looseObject({ name: z.string() })) }),
  timeline: z.array(z.looseObject({ at: z.number(), event: z.string() })),
  faults: z.array(z.looseObject({ kind: z.string(), target: z.string(), injectedAtMs: z.number() })),
  clients: z.array(z.looseObject({ name: z.string(), locality: z.looseObject({}), phases: z.looseObject({ baseline: phaseOutline, fault: phaseOutline, recovery: phaseOutline }) })),
  assertions: z.array(z.looseObject({ name: z.string(), passed: z.boolean() })),
  metrics: z.looseObject({ requests: z.number(), failed: z.number() }),
  environment: z.record(z.string(), z.string()),
  records: z.looseObject({ files: z.array(z.string()), count: z.number() }),
});

/** A run's report.json, checked: exit 2 naming the file and what is wrong with it when it is not one the harness wrote. */
export function readJournal(dir: string): Journal {
  const file = join(dir, 'report.json');
  const restore = 'restore it from the run (or its CI artifact), or run the experiment again';
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) throw new UsageError(`${file}: not valid JSON (${error.message}): the file was cut or edited after the run`, restore);
    throw new UsageError(`${file}: cannot be read: ${(error as Error).message}`);
  }
  if ((raw as { status?: unknown } | null)?.status === 'crashed') throw new UsageError(`${file}: the run crashed (status crashed, written by npm run cleanup): nothing was measured, so there is nothing to report`, 'run the experiment again');
  const checked = journalOutline.safeParse(raw);
  if (!checked.success) throw new UsageError(`${formatIssues(file, checked.error.issues.slice(0, 5))}\n(not the report.json the harness wrote: edited, or from another tool)`, restore);
  return raw as Journal;
}

/** What differs between a records file and what report.json recorded of it, or null. */
export function digestProblem(file: string, recorded: FileDigest, now: FileDigest): string | null {
  const same = now.lines === recorded.lines && now.sha256 === recorded.sha256;
  if (same) return null;
  const fewer = now.lines < recorded.lines;
  const counts = `${now.lines} records, the run wrote ${recorded.lines}`;
  if (recorded.blocks && recorded.blockLines && now.blocks) {
    // Located by the first block that differs (blocks of the size the run recorded): everything before it is as the run wrote it.
    const size = recorded.blockLines;
    const mine = coarsened(now, size).blocks!;
    let first = 0;
    while (first < recorded.blocks.length && recorded.blocks[first] === mine[first]) first++;
    const from = first * size + 1;
    const to = (first + 1) * size;
    const lastBlock = first >= recorded.blocks.length - 1;
    if (fewer && first >= mine.length - 1 && lastBlock) return `${counts}: the file lost lines within lines ${from}–${to}, its last block (its tail was cut, or a line there was removed); lines 1–${from - 1} are as the run wrote them`;
    const what = fewer ? `${recorded.lines - now.lines} line${recorded.lines - now.lines === 1 ? '' : 's'} removed` : now.lines > recorded.lines ? `${now.lines - recorded.lines} line${now.lines - recorded.lines === 1 ? '' : 's'} added` : 'edited';
    return `${fewer || now.lines > recorded.lines ? `${counts}: ` : ''}the file first differs from what the run wrote within lines ${from}–${to} (${what}; lines 1–${from - 1} are as written)`;
  }
  if (fewer) return `${counts}: the file lost lines (its tail, or lines elsewhere)`;
  if (now.lines > recorded.lines) return `${counts}: lines were added after the run`;
  return `its SHA-256 differs from the one the run recorded (${recorded.sha256.slice(0, 12)}…): ${file} was edited after the run`;
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
