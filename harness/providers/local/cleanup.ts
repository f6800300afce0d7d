import type { Executor } from '../../exec/index.js';
import { readLedger, type LedgerState, type Resource } from '../../faults/ledger.js';
import { rmSync } from 'node:fs';
import { compareAddresses } from '../kind/docker-nodes.js';
import { undoAny } from '../undo.js';

/** What a cleanup did for one dead run: what it undid, and what it could not. */
export interface RunCleanup {
  ledger: LedgerState;
  undone: Resource[];
  failures: string[];
}

/** Undoes every outstanding entry of the given ledgers, newest first, then removes the ledger files. Idempotent. */
export async function cleanupLedgers(ledgers: readonly LedgerState[], exec: Executor, log: (line: string) => void): Promise<{ undone: number; failures: string[]; runs: RunCleanup[] }> {
  const undo = undoAny(exec);
  let undone = 0;
  const failures: string[] = [];
  const runs: RunCleanup[] = [];
  for (const ledger of ledgers) {
    const fresh = readLedger(ledger.path);
    const run: RunCleanup = { ledger: fresh, undone: [], failures: [] };
    runs.push(run);
    // Newest first, except that stopped kind nodes start lowest old address first (so none takes another's).
    const isStop = (r: Resource) => r.kind === 'docker-node' && r.action === 'stop';
    const order = [...fresh.outstanding].reverse();
    const stops = order.filter((e) => isStop(e.resource)).sort((x, y) => compareAddresses((x.resource as { ip?: string }).ip, (y.resource as { ip?: string }).ip));
    let next = 0;
    for (let i = 0; i < order.length; i++) if (isStop(order[i]!.resource)) order[i] = stops[next++]!;
    for (const { resource } of order) {
      try {
        await undo(resource);
        undone++;
        run.undone.push(resource);
        log(`run ${fresh.runId}: undid ${resource.kind} ${JSON.stringify(resource).slice(0, 120)}`);
      } catch (error) {
        const failure = `run ${fresh.runId}: ${resource.kind}: ${error instanceof Error ? error.message : String(error)}`;
        failures.push(failure);
        run.failures.push(failure);
      }
    }
    if (failures.length === 0) rmSync(ledger.path, { force: true });
  }
  return { undone, failures, runs };
}
