// `npm run report -- DIR` regenerates a run's reports from its report.json and
// raw records; `npm run report -- --index [DIR]` writes the run history
// (index.json, index.html) of a reports folder (default reports/);
// `npm run report -- --compare DIR DIR…` puts runs of one experiment side by
// side (compare.html and compare.md, in --out or the first run's parent).
import { Command, CommanderError } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { writeAtomic } from '../report/atomic-write.js';
import { compareProblem, renderCompareHtml, renderCompareMarkdown } from '../report/compare.js';
import { dataPlaneOf } from '../report/data-plane.js';
import { ExitCode, UsageError } from '../core/errors.js';
import { readJournal, regenerate, writeIndex } from '../report/regenerate.js';
import { reportError } from './exit.js';

function main(argv: string[]): number {
  const cmd = new Command('report')
    .description('Regenerate report.md, report.html and junit.xml of a run, or the history index of a reports folder.')
    .argument('[dirs...]', 'a run folder (with report.json); with --index a reports folder (default reports); with --compare two or more run folders')
    .option('--index', 'write index.json and index.html for every run under the folder')
    .option('--compare', 'put the runs (of one experiment) side by side: compare.html and compare.md')
    .option('--out <dir>', 'with --compare: where to write (default: the first run folder\'s parent)')
    .option('--debug', 'print the stack trace of an unexpected error')
    .exitOverride();
  try {
    cmd.parse(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    throw error;
  }
  const opts = cmd.opts<{ index?: boolean; compare?: boolean; out?: string }>();
  if (opts.compare) return compare(cmd.args, opts.out);
  const dir = resolve(cmd.args[0] ?? 'reports');
  if (opts.index) {
    const runs = writeIndex(dir);
    console.log(`index: ${runs.length} runs → ${join(dir, 'index.html')}`);
    return ExitCode.ok;
  }
  if (!existsSync(join(dir, 'report.json'))) throw new UsageError(`${dir} has no report.json`, 'name a run folder, e.g. npm run report -- reports/2026-…-zone-outage');
  const started = performance.now();
  const { failures, records } = regenerate(dir);
  for (const f of failures) console.error(`error: could not write ${f}`);
  console.log(`regenerated ${dir} from ${records} records in ${Math.round(performance.now() - started)} ms`);
  return failures.length ? ExitCode.environment : ExitCode.ok;
}

function compare(dirs: readonly string[], out: string | undefined): number {
  const columns = dirs.map((d) => {
    const dir = resolve(d);
    if (!existsSync(join(dir, 'report.json'))) throw new UsageError(`${dir} has no report.json`, 'name run folders, e.g. npm run report -- --compare reports/a reports/b');
    return { dir, journal: readJournal(dir) };
  });
  const problem = compareProblem(columns);
  if (problem) throw new UsageError(problem);
  const target = resolve(out ?? dirname(columns[0]!.dir));
  mkdirSync(target, { recursive: true });
  const full = columns.map((c) => ({ ...c, dir: relative(target, c.dir) || '.', label: `${basename(c.dir)} · ${c.journal.runId}`, dataPlane: dataPlaneOf(c.journal) }));
  writeAtomic(join(target, 'compare.html'), renderCompareHtml(full));
  writeAtomic(join(target, 'compare.md'), renderCompareMarkdown(full));
  console.log(`compared ${columns.length} runs of ${columns[0]!.journal.experiment} → ${join(target, 'compare.html')}`);
  return ExitCode.ok;
}

try {
  process.exit(main(process.argv));
} catch (error) {
  process.exit(reportError(error, process.argv.includes('--debug')));
}
