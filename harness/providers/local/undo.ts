import { existsSync, rmSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { Executor } from '../../exec/index.js';
import { RUN_MARKER_ENV, type Resource } from '../../faults/ledger.js';
import type { Undo } from '../../faults/scope.js';
import { isSameProcess, pidsWithEnv, signalIfAlive } from './proc-scan.js';

// How each kind of local resource is undone. Idempotent: used by normal
// teardown and by `npm run cleanup` after a crash alike.

async function stopMarkedProcesses(runId: string): Promise<void> {
  let pids = pidsWithEnv(RUN_MARKER_ENV, runId);
  if (pids.length === 0) return;
  for (const pid of pids) {
    signalIfAlive(pid, 'SIGCONT'); // a frozen process cannot act on SIGTERM
    signalIfAlive(pid, 'SIGTERM');
  }
  for (let i = 0; i < 40 && pids.length > 0; i++) {
    await delay(50);
    pids = pidsWithEnv(RUN_MARKER_ENV, runId);
  }
  for (const pid of pids) signalIfAlive(pid, 'SIGKILL');
  for (let i = 0; i < 40 && pidsWithEnv(RUN_MARKER_ENV, runId).length > 0; i++) await delay(50);
}

export function localUndo(exec: Executor): Undo {
  return async (resource: Resource) => {
    switch (resource.kind) {
      case 'processes':
        return stopMarkedProcesses(resource.runId);
      case 'netns':
        if (existsSync(`/run/netns/${resource.name}`)) await exec.run(['ip', 'netns', 'del', resource.name], { context: 'remove network namespace' });
        return;
      case 'link':
        if (existsSync(`/sys/class/net/${resource.name}`)) await exec.run(['ip', 'link', 'del', resource.name], { context: 'remove link' });
        return;
      case 'iptables': {
        const present = await exec.run(['iptables', '-t', resource.table, '-C', resource.chain, ...resource.rule]).then(
          () => true,
          () => false,
        );
        if (present) await exec.run(['iptables', '-t', resource.table, '-D', resource.chain, ...resource.rule], { context: 'remove iptables rule' });
        return;
      }
      case 'file':
        rmSync(resource.path, { force: true, recursive: true });
        return;
      case 'frozen':
        if (isSameProcess(resource.pid, resource.startTicks)) signalIfAlive(resource.pid, 'SIGCONT');
        return;
      case 'link-down':
        if (existsSync(`/run/netns/${resource.netns}`)) {
          await exec.run(['ip', '-n', resource.netns, 'link', 'set', 'dev', resource.device, 'up'], { context: 'bring link back up' });
        }
        return;
      case 'drained':
        // The instance may be gone already (teardown after a crash): nothing to restore then.
        await fetch(`${resource.adminUrl}/restore`, { method: 'POST', signal: AbortSignal.timeout(2000) }).catch(() => undefined);
        return;
      case 'nft-table': {
        const exists = await exec.run(['nft', 'list', 'table', resource.family, resource.name]).then(() => true, () => false);
        if (exists) await exec.run(['nft', 'delete', 'table', resource.family, resource.name], { context: 'remove partition rules' });
        return;
      }
      case 'killed':
        // Reverted by restarting the instance during a run; after a crash the
        // whole environment is removed instead, so there is nothing to do.
        return;
    }
  };
}
