import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.js';
import { UsageError } from '../../core/errors.js';
import type { Experiment } from '../../core/experiment.js';
import type { Executor } from '../../exec/index.js';
import type { ResourceScope } from '../../faults/scope.js';
import { ApiServerProbeClient, LABEL_RUN, PROBE_NAMESPACE } from '../../probes/apiserver-client.js';
import { ControlPlaneProbe } from '../../probes/control-plane-probe.js';
import { parseEtcdMetrics, statusFromMetrics } from '../../probes/etcd-metrics.js';
import { firstLeader, type MemberStatus } from '../../probes/probe-client.js';
import type { ProbeRecord, StatusRecord } from '../../probes/record.js';
import type { ControlPlaneAccess } from '../provider.js';
import type { DockerCli } from './docker-nodes.js';
import { kubeContext, type RenderedCluster } from './kind-config.js';
import { probeNamespace, validateAll } from './manifests.js';

// The control plane of a kind cluster, watched the way its users meet it:
// ConfigMap writes and reads through the API server (kind's load balancer in
// front of every kube-apiserver), plus each etcd member's own view of
// leadership from its metrics, read with `docker exec <node> curl`.

/** API calls go through a load balancer and a kube-apiserver: slower than etcd alone. */
export const KIND_PROBE = { intervalMs: 250, timeoutMs: 2000, attemptMs: 1000, statusEveryTicks: 4 };

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
}

export class KindControlPlane implements ControlPlaneAccess {
  readonly members: string[];
  readonly probeIntervalMs = KIND_PROBE.intervalMs;
  readonly probeTimeoutMs = KIND_PROBE.timeoutMs;
  readonly cluster: RenderedCluster;
  private probe: ControlPlaneProbe | undefined;
  private readonly file: string;

  constructor(private readonly o: KindControlPlaneOptions) {
    const members = o.experiment.topology.members;
    this.members = members.map((m) => m.name);
    const clusters = [...new Set(members.map((m) => m.locality.cluster))];
    if (clusters.length !== 1) {
      throw new UsageError(`the control-plane members are in ${clusters.length} clusters (${clusters.join(', ')}); on kind the probe watches one cluster's API server`, 'declare controlPlane members in one cluster');
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

  /** One member's view, from its etcd metrics inside its control-plane node. Rejects when it does not answer. */
  async memberStatus(member: string, timeoutMs: number): Promise<MemberStatus> {
    const { stdout } = await this.o.exec.run(this.o.docker.etcdMetrics(this.containerOf(member), timeoutMs), { context: `read etcd metrics of ${member}`, timeoutMs: timeoutMs + 1000 });
    return statusFromMetrics(member, parseEtcdMetrics(stdout));
  }

  /** The member that says it leads, or null. */
  leader(): Promise<string | null> {
    return firstLeader(this.members, (member) => this.memberStatus(member, 1000));
  }

  /** The probe's namespace (applied by the provider), and a ledger entry that deletes the run's ConfigMaps at teardown (or cleanup). */
  async prepare(apply: (objects: Record<string, unknown>[]) => Promise<unknown>): Promise<void> {
    const { scope, runId } = this.o;
    const ns = probeNamespace(PROBE_NAMESPACE);
    validateAll([ns]);
    await apply([ns]);
    await scope.acquire({ kind: 'k8s-configmaps', context: this.context, namespace: PROBE_NAMESPACE, selector: `${LABEL_RUN}=${runId}` }, async () => undefined);
  }

  startProbes(startAt: number): void {
    const { live, runId, clock } = this.o;
    const { intervalMs, timeoutMs, attemptMs, statusEveryTicks } = KIND_PROBE;
    if (!live) {
      this.o.log(`probe: every ${intervalMs} ms, create ConfigMap ${PROBE_NAMESPACE}/failover-harness-${runId}-<seq> and read it back by GET (quorum) and LIST resourceVersion=0 (watch cache) through the API server of ${this.context}; every ${intervalMs * statusEveryTicks} ms each member's etcd metrics:`);
      for (const m of this.members) void this.memberStatus(m, attemptMs).catch(() => undefined);
      return;
    }
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromDefault();
    if (!kubeConfig.getContextObject(this.context)) {
      throw new UsageError(`kubeconfig has no context ${this.context}`, `kind writes it on create; check KUBECONFIG, or run: kind export kubeconfig --name ${this.cluster.name}`);
    }
    kubeConfig.setCurrentContext(this.context);
    const client = new ApiServerProbeClient({ kubeConfig, runId, endpoint: `apiserver/${this.cluster.name}`, status: (m, t) => this.memberStatus(m, t) });
    mkdirSync(join(this.o.reportDir, 'records'), { recursive: true });
    this.probe = new ControlPlaneProbe(client, clock, { runId, intervalMs, timeoutMs, attemptMs, statusEveryTicks, members: this.members, file: this.file });
    this.probe.start(startAt);
  }

  async stopProbes(): Promise<{ probes: ProbeRecord[]; statuses: StatusRecord[]; file: string }> {
    const stopped = this.probe ? await this.probe.stop() : { probes: [], statuses: [] };
    return { ...stopped, file: this.file };
  }

  verifyWrites(): Promise<{ acknowledged: number; lost: string[] } | null> {
    // A restarted etcd member and its apiserver take a while to serve again on kind.
    return this.probe ? this.probe.verify(30_000) : Promise.resolve(null);
  }
}
