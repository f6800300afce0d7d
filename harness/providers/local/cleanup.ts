import type { Executor } from '../../exec/index.js';
import { readLedger, type LedgerState } from '../../faults/ledger.js';
import { rmSync } from 'node:fs';
import { undoAny } from '../undo.js';

/** Undoes every outstanding entry of the given ledgers, newest first, then removes the ledger files. Idempotent. */
export async function cleanupLedgers(ledgers: readonly LedgerState[], exec: Executor, log: (line: string) => void): Promise<{ undone: number; failures: string[] }> {
  const undo = undoAny(exec);
  let undone = 0;
  const failures: string[] = [];
  for (const ledger of ledgers) {
    const fresh = readLedger(ledger.path);
    for (const { resource } of [...fresh.outstanding].reverse()) {
      try {
        await undo(resource);
        undone++;
        log(`run ${fresh.runId}: undid ${resource.kind} ${JSON.stringify(resource).slice(0, 120)}`);
      } catch (error) {
        failures.push(`run ${fresh.runId}: ${resource.kind}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (failures.length === 0) rmSync(ledger.path, { force: true });
  }
  return { undone, failures };
}
