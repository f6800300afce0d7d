import type { Executor } from '../../exec/index.js';
import type { ResourceScope } from '../../faults/scope.js';

// Faults on kind node containers through the Docker CLI. argv builders are
// pure; every fault is in the ledger (with its undo) before it acts.

export const KIND_CLUSTER_LABEL = 'io.x-k8s.kind.cluster';
export const KIND_ROLE_LABEL = 'io.x-k8s.kind.role';
/** While this file is in a node, any etcd started there is stopped at once (crashEtcd). */
export const ETCD_DOWN_MARKER = '/root/failover-harness-etcd-down';
/** The keep-down loop is running while this file is there (the revert waits for it to end). */
export const ETCD_DOWN_LOOP = '/root/failover-harness-etcd-down.loop';
/** Where runs before ETCD_DOWN_MARKER parked etcd's manifest: cleanup still puts one back. */
export const ETCD_MANIFEST = '/etc/kubernetes/manifests/etcd.yaml';
export const ETCD_MANIFEST_PARKED = '/root/etcd.yaml.failover-harness';


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

  /**
   * The fault and its revert for one container. `ip` is the node's address on
   * `network` before the fault: a reconnect asks for it again, because kind
   * cannot run a multi-node cluster whose node came back on another address
   * (kubernetes-sigs/kind#2045; the kubelet's node-ip and the etcd peer URLs
   * keep the old one).
   */
  act(action: NodeAction, container: string, network = 'kind', ip?: string): { apply: string[]; revert: string[] } {
    switch (action) {
      case 'stop':
        return { apply: this.argv('stop', '--time', '0', container), revert: this.argv('start', container) };
      case 'pause':
        return { apply: this.argv('pause', container), revert: this.argv('unpause', container) };
      case 'disconnect':
        return { apply: this.argv('network', 'disconnect', network, container), revert: this.argv('network', 'connect', ...(ip ? ['--ip', ip] : []), network, container) };
    }
  }

  /** A container's IPv4 address on one network (empty when it is not attached). */
  address(container: string, network = 'kind'): string[] {
    return this.argv('inspect', '--format', `{{with index .NetworkSettings.Networks "${network}"}}{{.IPAddress}}{{end}}`, container);
  }

  /**
   * etcd crashes and stays down until the revert: a marker file and SIGKILL
   * (the crash), then a loop in the node that SIGSTOPs any etcd the kubelet
   * starts again while the marker is there, within 20 ms of its start (the
   * kubelet restarted a killed etcd in 0.7 s live, and the restarted member
   * won the election again: writes paused 1 s, "the leader" never changed).
   * A stopped etcd answers nothing, peers and clients included, and to the
   * kubelet its container is running: no crash-loop back-off builds up. The
   * revert removes the marker, waits (at most 2 s) for the loop to end and
   * continues the stopped etcd, which goes on starting where it stopped.
   *
   * Tried and dropped: killing each restart as well (every kill counted as a
   * crash to the kubelet, whose back-off, 10 s doubling, then held etcd down
   * after the revert: 48 s live for two members); restarting the kubelet at
   * the revert to forget that back-off (on a control-plane node the kubelet
   * talks to its own API server, whose etcd is the one down: it waited 60 s
   * for that before starting anything); parking the static-pod manifest (the
   * kubelet deleted the mirror pod through that same API server and retried
   * for a minute).
   */
  crashEtcd(container: string): { apply: string[][]; revert: string[] } {
    const keepDown = `touch ${ETCD_DOWN_LOOP}; while [ -f ${ETCD_DOWN_MARKER} ]; do pkill -STOP -x etcd; sleep 0.02; done; rm -f ${ETCD_DOWN_LOOP}`;
    const loopEnded = `i=0; while [ -f ${ETCD_DOWN_LOOP} ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i+1)); done`;
    return {
      // One exec: the loop runs on in the background (its output detached, so the exec returns at once). As a second
      // exec it started up to a second after the kill, and the inject action, from whose end the election is timed,
      // lasted that much longer.
      apply: [this.argv('exec', container, 'sh', '-c', `touch ${ETCD_DOWN_MARKER} && { pkill -KILL -x etcd; ( ${keepDown} ) </dev/null >/dev/null 2>&1 & }`)],
      // No etcd to continue (the kubelet had not started one yet) is no failure.
      revert: this.argv('exec', container, 'sh', '-c', `rm ${ETCD_DOWN_MARKER} && { ${loopEnded}; pkill -CONT -x etcd || true; }`),
    };
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

/** A container's address on a network, or undefined when it has none there. */
export async function nodeAddress(docker: DockerCli, exec: Executor, container: string, network = 'kind'): Promise<string | undefined> {
  const { stdout } = await exec.run(docker.address(container, network), { context: `address of ${container} on ${network}` });
  return stdout.trim() || undefined;
}

/**
 * Applies one action to each container (all at once: a zone goes down
 * together); returns the reverts. Stop and disconnect record each node's
 * address first, so the revert can keep it (and check it was kept).
 */
export async function actOnNodes(
  docker: DockerCli,
  exec: Executor,
  scope: ResourceScope,
  action: NodeAction,
  containers: readonly string[],
  network = 'kind',
): Promise<() => Promise<void>> {
  const ips = new Map<string, string | undefined>();
  if (action !== 'pause') for (const c of containers) ips.set(c, await nodeAddress(docker, exec, c, network));
  const acquired = await Promise.all(
    containers.map(async (container) => {
      const { apply } = docker.act(action, container, network);
      const ip = ips.get(container);
      const { id } = await scope.acquire(
        { kind: 'docker-node', action, container, ...(action !== 'pause' ? { network } : {}), ...(ip ? { ip } : {}), ...docker.hostField },
        () => exec.run(apply, { context: `${action} node ${container}` }),
      );
      return { id, ip };
    }),
  );
  if (action !== 'stop') return scope.releasing(acquired.map((a) => a.id));
  // Docker gives a started container the lowest free address: started together, two nodes can swap
  // theirs. One at a time, lowest old address first, each gets its own back.
  const ordered = [...acquired].sort((a, b) => compareAddresses(a.ip, b.ip));
  return async () => {
    for (const { id } of ordered) await scope.release(id);
  };
}

/** Orders IPv4 addresses numerically (unknown ones last). */
export function compareAddresses(a: string | undefined, b: string | undefined): number {
  const n = (ip: string | undefined) => (ip ? ip.split('.').reduce((x, p) => x * 256 + Number(p), 0) : Number.POSITIVE_INFINITY);
  return n(a) - n(b);
}

/** Docker's refusal of `network connect --ip` on a network whose subnet it chose itself (not only 29.0: 20.10 too). */
export const USER_SUBNET_ONLY = /user specified IP address is supported only when connecting to networks with user configured subnets/i;

/** Docker's answers meaning the revert has nothing left to do. */
const ALREADY = /is not paused|already exists in network|endpoint with name .* already exists|No such container|is already running/i;

/**
 * Undo of a docker-node resource: the explicit revert command, with "already
 * in that state" counting as done, so it is idempotent (cleanup after a crash
 * runs the same thing) and a dry run shows exactly what a revert runs.
 */
export async function undoDockerNode(exec: Executor, r: { action: NodeAction; container: string; network?: string; ip?: string; dockerHost?: string }): Promise<void> {
  const docker = new DockerCli(r.dockerHost);
  const { revert } = docker.act(r.action, r.container, r.network, r.ip);
  const attempt = (argv: string[], context: string) => exec.run(argv, { context }).then(() => undefined, (error: Error & { stderr?: string }) => error);
  let error = await attempt(revert, `revert ${r.action} of ${r.container}`);
  // Live (Docker 20.10, kind's network with the IPv4 subnet Docker chose): `connect --ip` is refused. The node is
  // reconnected without it (Docker hands out the lowest free address, its own when nothing took it) and the address
  // is checked below: never left disconnected, which left the run's ledger behind.
  if (error && r.action === 'disconnect' && r.ip && USER_SUBNET_ONLY.test(error.stderr ?? '')) {
    error = await attempt(docker.act('disconnect', r.container, r.network).revert, `revert disconnect of ${r.container} (without --ip)`);
  }
  // "Already in that state" counts as done.
  if (error && !ALREADY.test(error.stderr ?? '')) throw error;
  const gone = /No such container/i.test(error?.stderr ?? '');
  if (gone || !r.ip || r.action === 'pause') return;
  // Docker may hand a restarted container another address; kind cannot run on it. Say so loudly.
  const now = await nodeAddress(docker, exec, r.container, r.network);
  if (now !== r.ip) {
    throw new Error(
      `node ${r.container} came back on ${r.network ?? 'kind'} with address ${now ?? '(none)'}, not ${r.ip}: a kind node that changes address breaks its cluster (kubelet node-ip, etcd peer URLs; kubernetes-sigs/kind#2045). Delete the cluster (kind delete cluster) and run again`,
    );
  }
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
