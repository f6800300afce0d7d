import type { Executor } from '../../exec/index.js';
import type { ResourceScope } from '../../faults/scope.js';

// Faults on kind node containers through the Docker CLI. argv builders are
// pure; every fault is in the ledger (with its undo) before it acts.

export const KIND_CLUSTER_LABEL = 'io.x-k8s.kind.cluster';
export const KIND_ROLE_LABEL = 'io.x-k8s.kind.role';
export const ETCD_MANIFEST = '/etc/kubernetes/manifests/etcd.yaml';
export const ETCD_MANIFEST_PARKED = '/root/etcd.yaml.failover-harness';

export const ETCD_METRICS_URL = 'http://127.0.0.1:2381/metrics';

export type NodeAction = 'stop' | 'pause' | 'disconnect';

export class DockerCli {
  constructor(readonly host?: string) {}

  /** The engine, as ledger resources record it (absent: the default engine). */
  get hostField(): { dockerHost?: string } {
    return this.host ? { dockerHost: this.host } : {};
  }

  argv(...args: string[]): string[] {
    return ['docker', ...(this.host ? ['-H', this.host] : []), ...args];
  }

  /** The fault and its revert for one container. */
  act(action: NodeAction, container: string, network = 'kind'): { apply: string[]; revert: string[] } {
    switch (action) {
      case 'stop':
        return { apply: this.argv('stop', '--time', '0', container), revert: this.argv('start', container) };
      case 'pause':
        return { apply: this.argv('pause', container), revert: this.argv('unpause', container) };
      case 'disconnect':
        return { apply: this.argv('network', 'disconnect', network, container), revert: this.argv('network', 'connect', network, container) };
    }
  }

  moveEtcdManifest(container: string): { apply: string[]; revert: string[] } {
    return {
      apply: this.argv('exec', container, 'mv', ETCD_MANIFEST, ETCD_MANIFEST_PARKED),
      revert: this.argv('exec', container, 'mv', ETCD_MANIFEST_PARKED, ETCD_MANIFEST),
    };
  }

  /** kubeadm's stacked etcd serves metrics on the node's loopback; kind node images have curl. */
  etcdMetrics(container: string, timeoutMs: number): string[] {
    return this.argv('exec', container, 'curl', '-fsS', '--max-time', String(Math.max(1, Math.ceil(timeoutMs / 1000))), ETCD_METRICS_URL);
  }

  listCluster(cluster: string): string[] {
    return this.argv('ps', '-a', '--filter', `label=${KIND_CLUSTER_LABEL}=${cluster}`, '--format', '{{.Names}}\t{{.Label "' + KIND_ROLE_LABEL + '"}}\t{{.State}}');
  }

  state(container: string): string[] {
    return this.argv('inspect', '--format', '{{.State.Status}}', container);
  }
}

/** Node containers of a kind cluster with their role and state. */
export async function listNodes(docker: DockerCli, exec: Executor, cluster: string): Promise<{ name: string; role: string; state: string }[]> {
  const { stdout } = await exec.run(docker.listCluster(cluster), { context: `list nodes of kind cluster ${cluster}` });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name = '', role = '', state = ''] = line.split('\t');
      return { name, role, state };
    });
}

/** Applies one action to each container (all at once: a zone goes down together); returns the reverts. */
export async function actOnNodes(
  docker: DockerCli,
  exec: Executor,
  scope: ResourceScope,
  action: NodeAction,
  containers: readonly string[],
  network = 'kind',
): Promise<() => Promise<void>> {
  const ids = await Promise.all(
    containers.map(async (container) => {
      const { apply } = docker.act(action, container, network);
      const { id } = await scope.acquire(
        { kind: 'docker-node', action, container, ...(action === 'disconnect' ? { network } : {}), ...docker.hostField },
        () => exec.run(apply, { context: `${action} node ${container}` }),
      );
      return id;
    }),
  );
  return scope.releasing(ids);
}

/** Docker's answers meaning the revert has nothing left to do. */
const ALREADY = /is not paused|already exists in network|endpoint with name .* already exists|No such container|is already running/i;

/**
 * Undo of a docker-node resource: the explicit revert command, with "already
 * in that state" counting as done, so it is idempotent (cleanup after a crash
 * runs the same thing) and a dry run shows exactly what a revert runs.
 */
export async function undoDockerNode(exec: Executor, r: { action: NodeAction; container: string; network?: string; dockerHost?: string }): Promise<void> {
  const { revert } = new DockerCli(r.dockerHost).act(r.action, r.container, r.network);
  await exec.run(revert, { context: `revert ${r.action} of ${r.container}` }).catch((error: { stderr?: string }) => {
    if (!ALREADY.test(error.stderr ?? '')) throw error;
  });
}

export const PARTITION_CHAIN = 'FH-PARTITION';

/**
 * Commands that cut a kind node off from the other side of a partition: a
 * chain dropping traffic to and from the other side's node addresses and pod
 * CIDRs (kind routes pod traffic between nodes unencapsulated, so pod IPs are
 * what crosses), jumped to from FORWARD, INPUT and OUTPUT.
 */
export function partitionCommands(docker: DockerCli, container: string, otherSide: readonly string[]): { apply: string[][]; revert: string[][] } {
  const ipt = (...args: string[]) => docker.argv('exec', container, 'iptables', ...args);
  return {
    apply: [
      ipt('-N', PARTITION_CHAIN),
      ...otherSide.flatMap((net) => [ipt('-A', PARTITION_CHAIN, '-d', net, '-j', 'DROP'), ipt('-A', PARTITION_CHAIN, '-s', net, '-j', 'DROP')]),
      ...['FORWARD', 'INPUT', 'OUTPUT'].map((chain) => ipt('-I', chain, '-j', PARTITION_CHAIN)),
    ],
    revert: [...['FORWARD', 'INPUT', 'OUTPUT'].map((chain) => ipt('-D', chain, '-j', PARTITION_CHAIN)), ipt('-F', PARTITION_CHAIN), ipt('-X', PARTITION_CHAIN)],
  };
}
