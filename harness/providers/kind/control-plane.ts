import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.js';
import { EnvironmentError, UsageError } from '../../core/errors.js';
import type { Experiment } from '../../core/experiment.js';
import type { Executor } from '../../exec/index.js';
import type { ResourceScope } from '../../faults/scope.js';
import { ApiServerProbeClient, configMapName, LABEL_RUN, PROBE_NAMESPACE } from '../../probes/apiserver-client.js';
import { ControlPlaneProbe } from '../../probes/control-plane-probe.js';
import { parseEtcdMetrics, statusFromMetrics } from '../../probes/etcd-metrics.js';
import { classifyEtcdError, EtcdDirect, type EtcdAccess } from './etcd-direct.js';
import { firstLeader, type MemberStatus, type OpResult, type ProbeClient } from '../../probes/probe-client.js';
import type { ProbeRecord, StatusRecord } from '../../probes/record.js';
import type { ControlPlaneAccess } from '../provider.js';
import { probeNamespace, validateAll } from '../kubernetes/manifests.js';
import { nodeAddress, type DockerCli } from './docker-nodes.js';
import { kubeContext, type RenderedCluster } from './kind-config.js';

// The control plane of a kind cluster, probed per member: kubeadm wires each
// kube-apiserver to its own etcd member only, so one probe stream goes to
// each API server directly (https://<node address>:6443), not through kind's
// load balancer, whose health checks (Envoy since kind v0.32: /healthz every
// 2 s, 2 failures to eject) would be measured instead of etcd. Serializable
// reads go to the member itself (etcd's Range with serializable=true over its
// gRPC gateway, with kubeadm's healthcheck client certificate): an rv=0 LIST
// through the API server is no serializable read once its watch cache stops
// being ready under quorum loss. Leadership comes from each member's metrics.

/** Whether a TCP connection to host:port opens within the time. */
export function reachable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** Direct API calls, one attempt per member. */
export const KIND_PROBE = { intervalMs: 250, timeoutMs: 2000, attemptMs: 1000, statusEveryTicks: 4 };

/** kubeadm's stacked etcd: the certificates on each control-plane node the probe reads once. */
export const KUBEADM_ETCD = {
  ca: '/etc/kubernetes/pki/etcd/ca.crt',
  cert: '/etc/kubernetes/pki/etcd/healthcheck-client.crt',
  key: '/etc/kubernetes/pki/etcd/healthcheck-client.key',
};

/** Where the API server keeps a ConfigMap in etcd. */
export const configMapEtcdKey = (namespace: string, name: string) => `/registry/configmaps/${namespace}/${name}`;

/** The etcd Range request for one key, as `etcdctl get --consistency=s` sends it (shown in a dry run). */
export function serializableRangeBody(etcdKey: string): string {
  return JSON.stringify({ key: Buffer.from(etcdKey).toString('base64'), serializable: true });
}

/** An answer of etcd's Range (gateway JSON): whether the key is there. Throws on anything that is not an answer. */
export function parseRangeAnswer(text: string): { found: boolean } {
  const parsed = JSON.parse(text) as { header?: unknown; kvs?: unknown[] };
  if (!parsed.header) throw new Error(`not an etcd range answer: ${text.slice(0, 80)}`);
  return { found: Array.isArray(parsed.kvs) && parsed.kvs.length > 0 };
}

export interface KindControlPlaneOptions {
  experiment: Experiment;
  clusters: readonly RenderedCluster[];
  runId: string;
  reportDir: string;
  exec: Executor;
  docker: DockerCli;
  clock: Clock;
  scope: ResourceScope;
  /** false in a dry run: print what the probe would do instead of calling an API server. */
  live: boolean;
  log: (line: string) => void;
  /** How to reach a member's etcd from this host (tests: stand-in members without TLS); kubeadm's by default. */
  etcdAccess?: (member: string) => EtcdAccess;
}

/** One member's stream: writes and linearizable reads through its API server, serializable reads from its etcd. */
export class MemberProbeClient implements ProbeClient {
  constructor(
    private readonly api: ApiServerProbeClient,
    private readonly readSerializable: (key: string, timeoutMs: number) => Promise<OpResult>,
  ) {}
  write(key: string, value: string, budgetMs: number, attemptMs: number) {
    return this.api.write(key, value, budgetMs, attemptMs);
  }
  read(key: string, serializable: boolean, budgetMs: number, attemptMs: number) {
    // The probe's whole budget, as writes and quorum reads have (they try again within it; a serializable read has
    // one member to ask). It was one 1 s attempt: live, the survivor of a quorum loss answered in up to 1.3 s while
    // two cores were busy, and those late answers counted as "unavailable".
    return serializable ? this.readSerializable(key, budgetMs) : this.api.read(key, false, budgetMs, attemptMs);
  }
  status(member: string, timeoutMs: number) {
    return this.api.status(member, timeoutMs);
  }
  readPrefix(prefix: string, budgetMs: number) {
    return this.api.readPrefix(prefix, budgetMs);
  }
}

export class KindControlPlane implements ControlPlaneAccess {
  readonly members: string[];
  readonly probeIntervalMs = KIND_PROBE.intervalMs;
  readonly probeTimeoutMs = KIND_PROBE.timeoutMs;
  readonly cluster: RenderedCluster;
  private probe: ControlPlaneProbe | undefined;
  private readonly file: string;
  /** Each member's API server address, found at prepare(). */
  private readonly apiServers = new Map<string, string>();

  constructor(private readonly o: KindControlPlaneOptions) {
    const members = o.experiment.topology.members;
    this.members = members.map((m) => m.name);
    const clusters = [...new Set(members.map((m) => m.locality.cluster))];
    if (clusters.length !== 1) {
      throw new UsageError(`the control-plane members are in ${clusters.length} clusters (${clusters.join(', ')}); on kind the probe watches one cluster's API servers`, 'declare controlPlane members in one cluster');
    }
    this.cluster = o.clusters.find((c) => c.cluster === clusters[0])!;
    this.file = join(o.reportDir, 'records', 'control-plane.ndjson');
  }

  get context(): string {
    return kubeContext(this.cluster);
  }

  private containerOf(member: string): string {
    return this.cluster.mapping.containerOf[member]!;
  }

  /** For the report's environment facts. */
  describe(): string {
    return `one stream per API server, direct (${this.members.map((m) => `${m}: ${this.apiServers.get(m) ?? `<${this.containerOf(m)}>`}:6443`).join(', ')}), not through kind's load balancer; serializable reads from each etcd member itself`;
  }

  /** Each member's etcd, reached from this host: its address and kubeadm's certificates, found at first use. */
  private readonly etcd = new Map<string, Promise<EtcdDirect>>();

  private etcdOf(member: string): Promise<EtcdDirect> {
    let found = this.etcd.get(member);
    if (!found) {
      found = this.resolveEtcd(member);
      this.etcd.set(member, found);
      // A node that could not be read (stopped, paused) is asked again next time.
      found.catch(() => this.etcd.delete(member));
    }
    return found;
  }

  private async resolveEtcd(member: string): Promise<EtcdDirect> {
    if (this.o.etcdAccess) return new EtcdDirect(this.o.etcdAccess(member));
    const container = this.containerOf(member);
    const ip = this.apiServers.get(member) ?? (await nodeAddress(this.o.docker, this.o.exec, container));
    if (!ip) throw new Error(`control-plane node ${container} has no address on the kind network`);
    // Read once per run: the healthcheck client certificate kubeadm made on the node, and the etcd CA.
    const read = async (file: string) => (await this.o.exec.run(this.o.docker.argv('exec', container, 'cat', file), { context: `read ${file} on ${container}`, timeoutMs: 10_000 })).stdout;
    const tls = { ca: await read(KUBEADM_ETCD.ca), cert: await read(KUBEADM_ETCD.cert), key: await read(KUBEADM_ETCD.key) };
    return new EtcdDirect({ url: `https://${ip}:2379`, tls });
  }

  /** What a dry run prints instead of a call to a member's etcd. */
  private planEtcd(member: string, what: string): void {
    this.o.log(`etcd ${member}: ${what} at https://<${this.containerOf(member)} address>:2379 from this host (kubeadm's ${KUBEADM_ETCD.cert} and ${KUBEADM_ETCD.ca}, read once from the node)`);
  }

  /** One member's view, from its own etcd metrics. Rejects when it does not answer. */
  async memberStatus(member: string, timeoutMs: number): Promise<MemberStatus> {
    if (!this.o.live) {
      this.planEtcd(member, 'GET /metrics (etcd_server_is_leader, etcd_server_has_leader)');
      // A plausible answer, so the plan walks every step: each member says it leads, the first is taken.
      return { leader: member, term: null };
    }
    const text = await (await this.etcdOf(member)).metrics(timeoutMs);
    return statusFromMetrics(member, parseEtcdMetrics(text));
  }

  /**
   * The member that says it leads, or null after 15 s without one. Live on kind (ten nodes, three stacked
   * control planes on two cores, load 20–55) a single pass found none while one was there: each member's
   * metrics can take seconds to answer there.
   */
  async leader(): Promise<string | null> {
    const deadline = this.o.clock.now() + 15_000;
    for (;;) {
      const found = await firstLeader(this.members, (member) => this.memberStatus(member, 3000));
      if (found || !this.o.live || this.o.clock.now() >= deadline) return found;
      await this.o.clock.sleep(500);
    }
  }

  /** Waits until a member answers again and knows a leader (after a revert). */
  async awaitMemberBack(member: string, timeoutMs: number): Promise<void> {
    const { clock } = this.o;
    const deadline = clock.now() + timeoutMs;
    for (;;) {
      const view = await this.memberStatus(member, 1000).then(
        (s) => s,
        () => undefined,
      );
      if (!this.o.live || (view && (view.leader !== null || (await this.leader()) !== null))) return;
      if (clock.now() >= deadline) throw new Error(`etcd member ${member} did not come back within ${Math.round(timeoutMs / 1000)} s`);
      await clock.sleep(500);
    }
  }

  /** A serializable read of a probe key from the member's own etcd (OpResult as the other probes give). */
  private async serializableRead(member: string, key: string, timeoutMs: number): Promise<OpResult> {
    const etcdKey = configMapEtcdKey(PROBE_NAMESPACE, configMapName(key));
    if (!this.o.live) {
      this.planEtcd(member, `POST /v3/kv/range ${serializableRangeBody(etcdKey)} (serializable: this member alone answers)`);
      return { ok: false, member, error: 'dry run' };
    }
    try {
      parseRangeAnswer(await (await this.etcdOf(member)).range(etcdKey, true, timeoutMs));
      return { ok: true, member, error: null };
    } catch (error) {
      return { ok: false, member, error: classifyEtcdError(error) };
    }
  }

  /** The probe's namespace (applied by the provider), each API server's address, and a ledger entry that deletes the run's ConfigMaps at teardown (or cleanup). */
  async prepare(apply: (objects: Record<string, unknown>[]) => Promise<unknown>): Promise<void> {
    const { scope, runId } = this.o;
    const ns = probeNamespace(PROBE_NAMESPACE);
    validateAll([ns]);
    await apply([ns]);
    for (const m of this.members) {
      const ip = await nodeAddress(this.o.docker, this.o.exec, this.containerOf(m));
      if (ip) this.apiServers.set(m, ip);
      else if (this.o.live) throw new Error(`control-plane node ${this.containerOf(m)} has no address on the kind network`);
      if (ip && this.o.live && !(await reachable(ip, 6443, 3000))) {
        throw new EnvironmentError(
          `the API server of ${m} (${ip}:6443 on the kind network) is not reachable from this host, so the control plane cannot be probed per member`,
          'the kind network is routed to the host on Linux, not by Docker Desktop (macOS, Windows): run the control-plane experiments on Linux',
        );
      }
    }
    // Certificates read now, while every node answers: a fault may stop or pause one later.
    if (this.o.live) await Promise.all(this.members.map((m) => this.etcdOf(m)));
    await scope.acquire({ kind: 'k8s-configmaps', context: this.context, namespace: PROBE_NAMESPACE, selector: `${LABEL_RUN}=${runId}` }, async () => undefined);
  }

  /** A kubeconfig for one API server: the kind context's credentials and CA, the member's node address as server. */
  private memberKubeConfig(base: KubeConfig, member: string): KubeConfig {
    const cluster = base.getCurrentCluster()!;
    const user = base.getCurrentUser()!;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ ...cluster, name: member, server: `https://${this.apiServers.get(member)}:6443` }],
      users: [user],
      contexts: [{ name: member, cluster: member, user: user.name }],
      currentContext: member,
    });
    return kc;
  }

  startProbes(startAt: number): void {
    const { live, runId, clock } = this.o;
    const { intervalMs, timeoutMs, attemptMs, statusEveryTicks } = KIND_PROBE;
    if (!live) {
      this.o.log(`probe: every ${intervalMs} ms, per member, create ConfigMap ${PROBE_NAMESPACE}/failover-harness-${runId}-<member>-<seq> through that member's own API server (https://<node address>:6443, not kind's load balancer) and read it back with a GET (quorum); read it from the member's etcd with serializable consistency:`);
      for (const m of this.members) void this.serializableRead(m, `/failover-harness/${runId}/${m}-00000000`, attemptMs);
      this.o.log(`every ${intervalMs * statusEveryTicks} ms each member's etcd metrics:`);
      for (const m of this.members) void this.memberStatus(m, attemptMs).catch(() => undefined);
      return;
    }
    const base = new KubeConfig();
    base.loadFromDefault();
    if (!base.getContextObject(this.context)) {
      throw new UsageError(`kubeconfig has no context ${this.context}`, `kind writes it on create; check KUBECONFIG, or run: kind export kubeconfig --name ${this.cluster.name}`);
    }
    base.setCurrentContext(this.context);
    const status = (m: string, t: number) => this.memberStatus(m, t);
    const streams = this.members.map((member) => ({
      endpoint: member,
      client: new MemberProbeClient(new ApiServerProbeClient({ kubeConfig: this.memberKubeConfig(base, member), runId, endpoint: member, status }), (key, t) => this.serializableRead(member, key, t)),
    }));
    mkdirSync(join(this.o.reportDir, 'records'), { recursive: true });
    this.probe = new ControlPlaneProbe(streams[0]!.client, clock, { runId, intervalMs, timeoutMs, attemptMs, statusEveryTicks, members: this.members, file: this.file, streams });
    this.probe.start(startAt);
  }

  async stopProbes(): Promise<{ probes: ProbeRecord[]; statuses: StatusRecord[]; file: string }> {
    const stopped = this.probe ? await this.probe.stop() : { probes: [], statuses: [] };
    // Idle keep-alive sockets would hold the process open; a later call opens a fresh agent.
    const agents = [...this.etcd.values()];
    this.etcd.clear();
    await Promise.all(agents.map((a) => a.then((e) => e.close(), () => undefined)));
    return { ...stopped, file: this.file };
  }

  verifyWrites(): Promise<{ acknowledged: number; lost: string[] } | null> {
    // A restarted etcd member and its apiserver take a while to serve again on kind.
    return this.probe ? this.probe.verify(30_000) : Promise.resolve(null);
  }
}
