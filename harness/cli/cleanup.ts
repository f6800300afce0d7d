// `npm run cleanup`: reverts and removes whatever the ledger says a dead run
// left behind (faults, processes, namespaces, links, rules). Idempotent.
import { ExitCode } from '../core/errors.js';
import { realExecutor } from '../exec/index.js';
import { listLedgers, stateDir } from '../faults/ledger.js';
import { cleanupLedgers } from '../providers/local/cleanup.js';
import { isLive } from '../providers/local/proc-scan.js';
import { reportError } from './exit.js';
import { join } from 'node:path';
import { lockOwnersToKeep, removeStaleLocks } from '../providers/local/subnet-lock.js';

async function main(): Promise<number> {
  const force = process.argv.includes('--force');
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
  const { undone, failures } = await cleanupLedgers(dead, realExecutor, (line) => console.log(line));
  removeLocks();
  for (const f of failures) console.error(`error: ${f}`);
  console.log(`cleanup: ${dead.length} run(s), ${undone} resource(s) undone, ${failures.length} failure(s)`);
  return failures.length > 0 ? ExitCode.environment : ExitCode.ok;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(reportError(error, process.argv.includes('--debug'))),
);
