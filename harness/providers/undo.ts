import type { Executor } from '../exec/index.js';
import type { Resource } from '../faults/ledger.js';
import type { Undo } from '../faults/scope.js';
import { DockerCli, ETCD_MANIFEST, ETCD_MANIFEST_PARKED, partitionCommands, undoDockerNode } from './kind/docker-nodes.js';
import { echoAdminArgs } from './kubernetes/echo-admin.js';
import { localUndo } from './local/undo.js';

/** Undo for every resource kind any provider records; what teardown and `npm run cleanup` use. */
export function undoAny(exec: Executor): Undo {
  const local = localUndo(exec);
  return async (r: Resource) => {
    switch (r.kind) {
      case 'kind-cluster':
        // Deleting a cluster that is already gone succeeds.
        await exec.run(['kind', 'delete', 'cluster', '--name', r.name], { context: `delete kind cluster ${r.name}`, timeoutMs: 300_000 });
        return;
      case 'docker-node':
        return undoDockerNode(exec, r);
      case 'etcd-kept-down':
        // The marker gone, the loop in the node ends and a stopped etcd continues. No marker (already removed, or the
        // node is gone) means nothing to do.
        await exec.run(new DockerCli(r.dockerHost).crashEtcd(r.container).revert, { context: `let etcd start again on ${r.container}` }).catch((error: { stderr?: string }) => {
          if (!/No such file|No such container|is not running/i.test(error.stderr ?? '')) throw error;
        });
        return;
      case 'etcd-manifest-moved':
        // An older run parked the manifest: put it back.
        await exec.run(new DockerCli(r.dockerHost).argv('exec', r.container, 'mv', ETCD_MANIFEST_PARKED, ETCD_MANIFEST), { context: `restore etcd on ${r.container}` }).catch((error: { stderr?: string }) => {
          if (!/No such file|No such container|is not running/i.test(error.stderr ?? '')) throw error;
        });
        return;
      case 'kind-partition':
        // Each step may already be undone; keep going through all of them.
        for (const argv of partitionCommands(new DockerCli(r.dockerHost), r.container, []).revert) await exec.run(argv).catch(() => undefined);
        return;
      case 'pod-drained':
        // The echo reopens its listener; a pod or cluster that is gone has nothing left to restore.
        await exec.run(['kubectl', '--context', r.context, ...echoAdminArgs(r.namespace, r.pod, 'restore')], { context: `restore ${r.pod}`, timeoutMs: 30_000 }).catch((error: { stderr?: string }) => {
          if (!/not ?found|context .* does not exist|no context exists|connection refused|was refused/i.test(error.stderr ?? '')) throw error;
        });
        return;
      case 'k8s-configmaps':
        // The probe's ConfigMaps; a cluster that is already deleted has none left.
        await exec.run(['kubectl', '--context', r.context, '-n', r.namespace, 'delete', 'configmaps', '-l', r.selector, '--ignore-not-found', '--wait=false'], { context: `delete probe ConfigMaps (${r.selector})` }).catch((error: { stderr?: string }) => {
          if (!/context .* does not exist|no context exists|connection refused|was refused/i.test(error.stderr ?? '')) throw error;
        });
        return;
      default:
        return local(r);
    }
  };
}
