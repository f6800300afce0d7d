import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunCleanup } from '../providers/local/cleanup.js';
import { writeAtomic } from '../report/atomic-write.js';
import { RUN_DRIVER_BUNDLE } from '../traffic/driver-bundle.js';

// A run whose harness died (SIGKILL, power loss) wrote no report. After the
// cleanup has undone what it left, its report folder says so: a report.json
// with status `crashed` and what was undone, and the build product and lock
// that the run's own teardown would have removed are gone.

/** Marks the report folder of each crashed run; returns the folders marked. A folder with a report already is left as it is. */
export function markCrashedRuns(runs: readonly RunCleanup[], now: Date = new Date()): string[] {
  const marked: string[] = [];
  for (const { ledger, undone, failures } of runs) {
    const dir = ledger.reportDir;
    if (!dir || !existsSync(dir) || !statSync(dir).isDirectory()) continue;
    // What teardown removes: the driver bundle (a build product) and the folder's run lock.
    rmSync(join(dir, RUN_DRIVER_BUNDLE), { force: true });
    rmSync(join(dir, '.fh-run.lock'), { force: true });
    if (existsSync(join(dir, 'report.json'))) continue;
    const journal = {
      schemaVersion: 1,
      runId: ledger.runId,
      experiment: ledger.experiment ?? 'unknown',
      status: 'crashed',
      error: `the harness process (pid ${ledger.pid ?? '?'}) died before it could write its report; nothing was measured`,
      ...(ledger.startedAt ? { startedAt: new Date(ledger.startedAt).toISOString() } : {}),
      cleanedUpAt: now.toISOString(),
      undone: undone.map((r) => ({ ...r })),
      ...(failures.length > 0 ? { cleanupFailures: failures } : {}),
      assertions: [],
    };
    writeAtomic(join(dir, 'report.json'), `${JSON.stringify(journal, null, 2)}\n`);
    const lines = [`# ${journal.experiment}: CRASHED`, '', `Run ${ledger.runId}: ${journal.error}.`, '', `\`npm run cleanup\` undid, at ${journal.cleanedUpAt}:`, '', ...(undone.length > 0 ? undone.map((r) => `- ${r.kind}: \`${JSON.stringify(r)}\``) : ['- nothing (no fault or resource was outstanding)']), ...(failures.length > 0 ? ['', 'and could not undo:', '', ...failures.map((f) => `- ${f}`)] : [])];
    writeAtomic(join(dir, 'report.md'), `${lines.join('\n')}\n`);
    marked.push(dir);
  }
  return marked;
}
