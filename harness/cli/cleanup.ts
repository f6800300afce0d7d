// `npm run cleanup`: reverts and removes whatever the ledger says a dead run
// left behind (faults, processes, namespaces, links, rules), and marks each
// dead run's report folder crashed. Idempotent.
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../core/errors.js';
import { realExecutor } from '../exec/index.js';
import { listLedgers, stateDir } from '../faults/ledger.js';
import { cleanupLedgers } from '../providers/local/cleanup.js';
import { isLive } from '../providers/local/proc-scan.js';
import { reportError } from './exit.js';
import { markCrashedRuns } from './crashed-run.js';
import { join } from 'node:path';
import { lockOwnersToKeep, removeStaleLocks } from '../providers/local/subnet-lock.js';

function program(): Command {
  return new Command('cleanup')
    .description("Undo what crashed runs left behind (faults, processes, namespaces, links, rules, kind clusters) as their ledgers record it, and mark each crashed run's report folder (report.json with status crashed).")
    .option('--force', 'also clean up runs whose harness process still seems to be running')
    .option('--debug', 'print stack traces')
    .addHelpText('after', `\nLedgers: ${stateDir()} (FAILOVER_HARNESS_STATE_DIR overrides).\nExit codes: 0 cleaned (or nothing to do), 2 bad usage, 3 something could not be undone.`);
}

async function main(argv: string[]): Promise<number> {
  const cmd = program().exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    cmd.parse(argv);
  } catch (error) {
    // --help: exit 0 having printed it; an unknown option or argument: exit 2, and nothing was cleaned.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    throw error;
  }
  const force = cmd.opts<{ force?: boolean }>().force ?? false;
  const ledgers = listLedgers();
  const live = ledgers.filter((l) => !force && isLive(l));
  for (const l of live) console.log(`run ${l.runId} (${l.experiment}) is still running as pid ${l.pid}: left alone (--force to clean it anyway)`);
  const dead = ledgers.filter((l) => !live.includes(l));
  // Subnet locks go once their run's resources are gone: after the cleanup, and only for runs that left nothing.
  const removeLocks = () => {
    const liveIds = new Set(live.map((l) => l.runId));
    for (const lock of removeStaleLocks(join(stateDir(), 'locks'), lockOwnersToKeep(listLedgers(), (l) => liveIds.has(l.runId)))) console.log(`removed stale subnet lock ${lock}`);
  };
  if (dead.length === 0) {
    removeLocks();
    console.log(`nothing to clean up (ledger: ${stateDir()})`);
    return ExitCode.ok;
  }
  const { undone, failures, runs } = await cleanupLedgers(dead, realExecutor, (line) => console.log(line));
  removeLocks();
  for (const dir of markCrashedRuns(runs)) console.log(`marked ${dir} crashed (report.json, report.md)`);
  for (const f of failures) console.error(`error: ${f}`);
  console.log(`cleanup: ${dead.length} run(s), ${undone} resource(s) undone, ${failures.length} failure(s)`);
  return failures.length > 0 ? ExitCode.environment : ExitCode.ok;
}

main(process.argv).then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(reportError(error, process.argv.includes('--debug'))),
);
