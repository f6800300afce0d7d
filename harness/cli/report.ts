// `npm run report -- DIR` regenerates a run's reports from its report.json and
// raw records; `npm run report -- --index [DIR]` writes the run history
// (index.json, index.html) of a reports folder (default reports/).
import { Command, CommanderError } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode, UsageError } from '../core/errors.js';
import { regenerate, writeIndex } from '../report/regenerate.js';
import { reportError } from './exit.js';

function main(argv: string[]): number {
  const cmd = new Command('report')
    .description('Regenerate report.md, report.html and junit.xml of a run, or the history index of a reports folder.')
    .argument('[dir]', 'a run folder (with report.json), or with --index a reports folder (default reports)')
    .option('--index', 'write index.json and index.html for every run under the folder')
    .option('--debug', 'print the stack trace of an unexpected error')
    .exitOverride();
  try {
    cmd.parse(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    throw error;
  }
  const dir = resolve(cmd.args[0] ?? 'reports');
  if (cmd.opts<{ index?: boolean }>().index) {
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

try {
  process.exit(main(process.argv));
} catch (error) {
  process.exit(reportError(error, process.argv.includes('--debug')));
}
