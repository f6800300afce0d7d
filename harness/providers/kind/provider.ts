import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import { EnvironmentError, errorMessage, UsageError } from '../../core/errors.js';
import { matchesSelector, nodesInZone, type Experiment } from '../../core/experiment.js';
import { chooseMembers, describeFault, faultSelector, type FaultSpec, type Selector } from '../../core/fault-spec.js';
import type { Executor } from '../../exec/index.js';
import type { ResourceScope } from '../../faults/scope.js';
import { renderIstio, validateIstio } from '../../mesh/istio/objects.js';
import { dataPlaneNotes, dataPlaneShape, describeMesh, PREFER_SAME_ZONE, type DataPlaneNotes, type DataPlaneShape, type Mesh, type MeshContext } from '../../mesh/choice.js';
import { recordedFacts } from '../../report/data-plane.js';
import { DEFAULT_LINKERD_VERSION, type LinkerdMulticlusterMode } from '../../mesh/linkerd.js';
import { LinkerdInstaller } from './linkerd-install.js';
import { formatRecords, type RequestRecord } from '../../traffic/record.js';
import { K6_SCRIPT } from '../../traffic/k6/run.js';
import type { InjectedFault, Provider, TrafficPlan } from '../provider.js';
import { awaitPodsReady, echoAdmin, echoState } from '../kubernetes/echo-admin.js';
import { Kube } from '../kubernetes/kube.js';
import { CLIENT_LABEL, clientJobs, echoDeployments, echoService, K6_IMAGE, k6ScriptConfigMap, namespace, NAMESPACE, SERVICE_HOST, validateAll, type DataPlane } from '../kubernetes/manifests.js';
import { awaitClientsReady, collectClientRecords, stopClientDriver } from '../kubernetes/records.js';
import { checkNodeClock, provisionClusters } from './clusters.js';
import { KindControlPlane } from './control-plane.js';
import type { EtcdAccess } from './etcd-direct.js';
import { actOnNodes, DockerCli, partitionCommands, type NodeAction } from './docker-nodes.js';
import { misplacedInfra } from './infra.js';
import { kubeContext, LABEL_NODE, renderKindClusters, type RenderedCluster } from './kind-config.js';
import { instanceSelector, LABEL_INSTANCE, POD_AND_INSTANCE } from '../kubernetes/labels.js';
import { nodesBack, parseNodeViews, parsePodViews, podsBack, type PodView } from './node-back.js';
import { IstioInstaller } from './mesh-install.js';
import { awaitZonePreference } from './zone-preference.js';
import { describeGray, grayCall, mergeArrivals } from '../../workloads/gray.js';
import { loadFromState } from '../../workloads/capacity.js';
import type { InstanceLoad } from '../../core/journal.js';

// Multi-cluster kind with Istio: the composition of what only kind does
// (clusters.ts: create/reuse/delete clusters; docker-nodes.ts: act on node
// containers), the mesh (mesh-install.ts) and the Kubernetes layer
// (../kubernetes: workloads, readiness, records, echo admin) that would serve
// existing clusters as well. Every step is a command through the Executor,
// so --dry-run (DryRunExecutor) prints exactly what a real run executes.

export interface KindProviderOptions {
  experiment: Experiment;
  runId: string;
  reportDir: string;
  exec: Executor;
  clock: Clock;
  scope: ResourceScope;
  log: (line: string) => void;
  repoRoot: string;
  keep: boolean;
  /** The exact Istio version installed (the image tag): the installed istioctl's. */
  istioVersion: string;
  /** The data plane: Istio (default), Linkerd, or none (plain Kubernetes Services). */
  mesh?: Mesh;
  /** The exact Linkerd release (the installed CLI's): `linkerd install` renders its own version. */
  linkerdVersion?: string;
  /** With Linkerd and several clusters: a federated Service (default) or the linkerd-failover extension. */
  linkerdMode?: LinkerdMulticlusterMode;
  image: string;
  /** Every node's image (kind's own default when unset): a node image built from packages (scripts/kind-images). */
  nodeImage?: string;
  dockerHost?: string;
  /** Tests: how to reach each stand-in etcd member from this host (kubeadm's stacked etcd when unset). */
  etcdAccess?: (member: string) => EtcdAccess;
  /** A dry run: the control-plane probe prints what it would do instead of calling an API server. */
  dryRun?: boolean;
  /** Print rendered files too (the dry run shows everything). */
  show?: (title: string, body: string) => void;
}

const OUTAGE_ACTION: Record<string, NodeAction> = { kill: 'stop', freeze: 'pause', isolate: 'disconnect' };

/** How long a revert may take to be back (node Ready, pods Ready) before the run fails. */
const REVERT_READY_S = 300;

/** What a cluster is made for, in its config hash: the mesh, its pinned version and, for Linkerd across clusters, the mode. */
export function meshIdentity(o: Pick<KindProviderOptions, 'mesh' | 'istioVersion' | 'linkerdVersion' | 'linkerdMode'>): string {
  const mesh = o.mesh ?? 'istio';
  if (mesh === 'istio') return `istio ${o.istioVersion.split('.').slice(0, 2).join('.')}`;
  if (mesh === 'linkerd') return `linkerd ${o.linkerdVersion ?? DEFAULT_LINKERD_VERSION} ${o.linkerdMode ?? 'federated'}`;
  return 'none';
}

export class KindProvider implements Provider {
  readonly name = 'kind';
  readonly isolation = 'docker';
  /** Jobs need scheduling and a sidecar before their first request; a readiness gate checks they made it. */
  readonly trafficLeadMs = 30_000;
  readonly clusters: RenderedCluster[];
  readonly controlPlane?: KindControlPlane;
  private readonly docker: DockerCli;
  private readonly istio: IstioInstaller;
  private readonly linkerd: LinkerdInstaller;
  readonly mesh: Mesh;
  readonly meshContext: MeshContext;
  private readonly shape: DataPlaneShape;
  /** Computed once: printed by the dry run, recorded by facts(). */
  readonly notes: DataPlaneNotes;
  private readonly plane: DataPlane;
  /** Set when provision found a cluster to reuse: its istiod already signs with the kept mesh CA. */
  private reusedCluster = false;
  private clockFacts: string[] = [];
  private plan: TrafficPlan | undefined;

  constructor(private readonly o: KindProviderOptions) {
    this.clusters = renderKindClusters(o.experiment.topology, o.nodeImage, meshIdentity(o));
    this.docker = new DockerCli(o.dockerHost);
    this.istio = new IstioInstaller({ ...o, docker: this.docker, clusters: this.clusters, keepCa: () => o.keep || this.reusedCluster, dryRun: o.dryRun ?? false });
    this.mesh = o.mesh ?? 'istio';
    const linkerdMode = o.linkerdMode ?? 'federated';
    this.linkerd = new LinkerdInstaller({ ...o, docker: this.docker, clusters: this.clusters, linkerdVersion: o.linkerdVersion ?? DEFAULT_LINKERD_VERSION, mode: linkerdMode, dryRun: o.dryRun ?? false });
    this.meshContext = { multiCluster: this.clusters.length > 1, linkerdMode };
    this.shape = dataPlaneShape(this.mesh, this.meshContext);
    this.notes = dataPlaneNotes(this.mesh, o.experiment, this.meshContext);
    this.plane = { mesh: this.mesh, policy: o.experiment.policy, ...this.meshContext };
    if (o.experiment.topology.members.length > 0) {
      this.controlPlane = new KindControlPlane({ ...o, clusters: this.clusters, docker: this.docker, live: !o.dryRun });
    }
  }

  private kube(c: RenderedCluster): Kube {
    return new Kube(this.o.exec, kubeContext(c), c.name);
  }

  /** The kind node container of a topology node or etcd member, in whichever cluster holds it. */
  private containerOf(name: string): string | undefined {
    return this.clusters.map((c) => c.mapping.containerOf[name]).find(Boolean);
  }

  private clusterOfContainer(container: string): RenderedCluster {
    return this.clusters.find((c) => Object.values(c.mapping.containerOf).includes(container) || c.mapping.infraNode === container)!;
  }

  async provision(): Promise<void> {
    mkdirSync(join(this.o.reportDir, 'kind'), { recursive: true });
    this.reusedCluster = await provisionClusters(this.clusters, { ...this.o, docker: this.docker });
    for (const c of this.clusters) {
      const node = `${c.name}-control-plane`;
      const offset = await checkNodeClock(node, { ...this.o, docker: this.docker });
      this.clockFacts.push(`${node} ${offset.offsetMs.toFixed(1)} ms (±${offset.uncertaintyMs.toFixed(1)} ms)`);
    }
    if (this.shape.gateways) await this.istio.installLoadBalancers();
  }

  async deploy(): Promise<void> {
    const { exec, experiment, image } = this.o;
    await exec.run(this.docker.argv('build', '-t', image, '-f', join(this.o.repoRoot, 'Dockerfile'), this.o.repoRoot), { context: 'build the echo image', timeoutMs: 900_000 });
    const k6 = experiment.traffic.driver === 'k6';
    // Every image a pod needs is in the cluster before the run: a pull at Job start would eat the baseline.
    if (k6) await exec.run(this.docker.argv('pull', K6_IMAGE), { context: `pull ${K6_IMAGE}`, timeoutMs: 600_000 });
    const mesh = this.mesh;
    const istio = mesh === 'istio' ? renderIstio(experiment.policy, SERVICE_HOST, NAMESPACE) : undefined;
    if (istio) validateIstio(istio);
    if (istio && this.istio.multiCluster) await this.istio.installMeshCa();
    const linkerd = mesh === 'linkerd';
    if (linkerd) {
      await this.linkerd.installControlPlanes();
      if (this.linkerd.multiCluster) {
        if (this.shape.podToPod) await this.linkerd.connectPodNetworks(await this.nodeNetworks());
        await this.linkerd.linkClusters();
      }
    }
    await Promise.all(
      this.clusters.map(async (c) => {
        // Only into the nodes that run it (instances, clients): a control-plane or infrastructure node never does, and
        // each load copies the whole image into a node's containerd (ten nodes live: over two minutes on two cores).
        const runners = [...new Set(experiment.topology.nodes.filter((n) => n.locality.cluster === c.cluster && (n.instances.length > 0 || n.client)).map((n) => c.mapping.containerOf[n.name]!))];
        for (const img of [image, ...(k6 ? [K6_IMAGE] : [])]) {
          await exec.run(['kind', 'load', 'docker-image', img, '--name', c.name, ...(runners.length ? ['--nodes', runners.join(',')] : [])], { context: `load ${img} into ${c.name}`, timeoutMs: 600_000 });
        }
        await this.istio.pinClusterInfra(c);
        if (istio) await this.istio.installControlPlane(c);
        if (istio && this.istio.multiCluster) await this.istio.installEastWest(c);
        const deployments = echoDeployments(experiment, c.cluster, image);
        const objects = [namespace(this.plane), echoService(this.plane), ...deployments];
        validateAll(objects);
        const kube = this.kube(c);
        // A kept cluster still holds the last run's client Jobs: a Job's pod template is immutable, so applying
        // this run's (another start time) over them fails (found live with --keep). They go first, pods and all.
        await kube.run(['-n', NAMESPACE, 'delete', 'jobs', '-l', CLIENT_LABEL, '--ignore-not-found', '--cascade=foreground', '--wait=true', '--timeout=120s'], { context: `remove earlier client Jobs from ${c.name}`, timeoutMs: 150_000 });
        const what = istio ? 'the echo service and failover policy' : linkerd ? 'the echo service (Linkerd failure accrual and retries on it)' : `the echo service (trafficDistribution: ${PREFER_SAME_ZONE}, no mesh)`;
        await kube.apply([...objects, ...(istio ? [istio.destinationRule, istio.virtualService] : [])], what);
        for (const d of deployments) {
          const name = (d.metadata as { name: string }).name;
          await kube.run(['-n', NAMESPACE, 'rollout', 'status', `deployment/${name}`, '--timeout', '180s'], { context: `wait for ${name}`, timeoutMs: 200_000 });
        }
      }),
    );
    if (istio && this.istio.multiCluster) {
      await this.istio.linkClusters();
      await this.istio.awaitRemotesSynced();
    }
    if (linkerd && this.linkerd.multiCluster) {
      await this.linkerd.awaitMirrors();
      if (this.shape.key === 'linkerd-failover-extension') await this.linkerd.installFailoverExtension();
    }
    await this.checkInfraPlacement();
    if (mesh === 'none') await awaitZonePreference({ exec, docker: this.docker, clock: this.o.clock, log: this.o.log, experiment, clusters: this.clusters, kube: (c) => this.kube(c) });
    if (this.controlPlane) await this.controlPlane.prepare((objects) => this.kube(this.controlPlane!.cluster).apply(objects, 'the probe namespace'));
  }

  /** Nothing of kube-system, istio-system or metallb-system (but DaemonSets and static pods) on a node a fault can touch. */
  private async checkInfraPlacement(): Promise<void> {
    const misplaced: string[] = [];
    for (const c of this.clusters) {
      const { stdout } = await this.kube(c).run(['get', 'pods', '-A', '-o', 'json'], { context: `check where ${c.name}'s infrastructure runs` });
      misplaced.push(...misplacedInfra(stdout, c.mapping.infraNode));
    }
    if (misplaced.length > 0) {
      throw new EnvironmentError(`infrastructure runs on nodes the faults can touch: ${misplaced.join('; ')}`, 'every such pod should be pinned to the infra node; delete the cluster and run again, or report this');
    }
  }

  /** k6 cannot be told to stop: it runs for the whole run plus what reverts may take. */
  private k6DurationMs(total: number): number {
    return total + 30_000 + (this.o.experiment.faults.some((f) => this.revertIsSlow(f)) ? REVERT_READY_S * 1000 : 0);
  }

  private revertIsSlow(spec: FaultSpec): boolean {
    return spec.kind === 'zone-outage' || spec.kind === 'region-outage' || spec.kind === 'etcd-member-loss' || spec.kind === 'kill-instance';
  }

  async startTraffic(plan: TrafficPlan): Promise<void> {
    this.plan = plan;
    const { experiment, clock } = this.o;
    // With --driver k6 the Jobs run the repo's k6 script, shipped as a ConfigMap.
    const script = experiment.traffic.driver === 'k6' ? [k6ScriptConfigMap(readFileSync(join(this.o.repoRoot, K6_SCRIPT), 'utf8'))] : [];
    const total = experiment.phases.baseline + experiment.phases.fault + experiment.phases.recovery;
    // The harness driver stops on the stop file; this bound only matters if the harness dies.
    const timing = { startAt: plan.startAt, maxDurationMs: total + REVERT_READY_S * 1000 + 60_000, k6DurationMs: this.k6DurationMs(total) };
    for (const c of this.clusters) {
      const jobs = clientJobs(experiment, c.cluster, this.o.image, timing, this.plane);
      if (!jobs.length) continue;
      validateAll([...script, ...jobs]);
      await this.kube(c).apply([...script, ...jobs], 'the traffic clients');
    }
    // Readiness gate: every client pod Ready before the agreed first request, or no run.
    const notReady: string[] = [];
    for (const c of this.clusters) {
      const clients = experiment.topology.clients.filter((x) => x.locality.cluster === c.cluster).map((x) => x.name);
      notReady.push(...(await awaitClientsReady(this.kube(c), NAMESPACE, clients, CLIENT_LABEL, clock, plan.startAt - 1000)));
    }
    if (notReady.length > 0) {
      throw new EnvironmentError(`client pods not Ready before the first request: ${notReady.join('; ')}`, 'a slow image pull or sidecar start; check `kubectl -n chaos describe pods`, then run again');
    }
  }

  async stopTraffic(): Promise<{ records: RequestRecord[]; files: string[] }> {
    const { experiment, clock } = this.o;
    const k6 = experiment.traffic.driver === 'k6';
    const records: RequestRecord[] = [];
    const files: string[] = [];
    mkdirSync(join(this.o.reportDir, 'records'), { recursive: true });
    const total = experiment.phases.baseline + experiment.phases.fault + experiment.phases.recovery;
    const clientsOf = (c: RenderedCluster) => experiment.topology.clients.filter((x) => x.locality.cluster === c.cluster);
    // Every driver stops at the same moment, then each one's records are copied out.
    if (!k6) for (const c of this.clusters) for (const client of clientsOf(c)) await stopClientDriver(this.kube(c), NAMESPACE, client.name);
    for (const c of this.clusters) {
      const kube = this.kube(c);
      for (const client of clientsOf(c)) {
        // The harness driver settles in-flight requests (each bounded by the request timeout); k6 runs to its end.
        const k6End = this.plan ? this.plan.startAt + this.k6DurationMs(total) : clock.now();
        const waitMs = experiment.traffic.timeout + 30_000 + (k6 ? Math.max(0, k6End - clock.now()) : 0);
        const mine = await collectClientRecords({ kube, namespace: NAMESPACE, client: client.name, k6, clock, waitMs });
        const file = join(this.o.reportDir, 'records', `${client.name}.ndjson`);
        writeFileSync(file, formatRecords(mine));
        files.push(file);
        for (const r of mine) records.push(r);
        await kube.run(['-n', NAMESPACE, 'delete', `job/traffic-${client.name}`, '--wait=false'], { context: `remove the Job of ${client.name}` });
      }
    }
    return { records, files };
  }

  /** Kind node containers of topology nodes matching the selector that run instances or etcd members. */
  private containersFor(spec: FaultSpec): string[] {
    const selector = faultSelector(spec);
    const t = this.o.experiment.topology;
    // Members map to their own control-plane containers (two members may share a topology node).
    const keys = [...t.instances.filter((i) => matchesSelector(i, selector)).map((i) => i.node), ...t.members.filter((m) => matchesSelector(m, selector)).map((m) => m.name)];
    return [...new Set(keys.map((k) => this.containerOf(k)).filter((x): x is string => Boolean(x)))];
  }

  /** The echo pods of the instances a selector matches: one pod per instance, selected by its instance label. */
  private async podsMatching(selector: Selector): Promise<{ cluster: RenderedCluster; pod: string; instance: string }[]> {
    const instances = this.o.experiment.topology.instances.filter((i) => matchesSelector(i, selector));
    const out: { cluster: RenderedCluster; pod: string; instance: string }[] = [];
    for (const c of this.clusters) {
      const mine = instances.filter((i) => i.locality.cluster === c.cluster).map((i) => i.name);
      if (!mine.length) continue;
      const { stdout } = await this.kube(c).run(['-n', NAMESPACE, 'get', 'pods', '-l', instanceSelector(mine), '-o', `jsonpath=${POD_AND_INSTANCE}`], { context: 'find pods' });
      for (const line of stdout.split('\n').filter(Boolean)) {
        const [pod, instance] = line.split(' ');
        out.push({ cluster: c, pod: pod!, instance: instance ?? pod! });
      }
    }
    return out;
  }

  /** The echo pods standing for these instances, as the API server has them now. */
  private async podViews(c: RenderedCluster, instances: readonly string[]): Promise<PodView[]> {
    if (instances.length === 0) return [];
    const { stdout } = await this.kube(c).run(['-n', NAMESPACE, 'get', 'pods', '-l', instanceSelector(instances), '-o', 'json'], { context: 'read the echo pods' });
    return parsePodViews(JSON.parse(stdout || '{}'), LABEL_INSTANCE);
  }

  /**
   * Back from a node fault (kind-review-2 N1): each node's kubelet renewed its
   * Lease after the revert and the node is Ready, then each of its echo pods
   * is Ready and, after a stop, its echo container restarted since `before`
   * (pod views taken before the fault). Polled each second: `kubectl wait`
   * would return at once on the stale Ready=True that outlives a short fault.
   * A node that does not come back fails the run.
   */
  private async awaitNodesBack(containers: readonly string[], before: readonly PodView[], revertedAtMs: number, restarted: boolean): Promise<void> {
    const { clock } = this.o;
    const deadline = clock.now() + REVERT_READY_S * 1000;
    for (const c of this.clusters) {
      const mine = containers.filter((x) => this.clusterOfContainer(x) === c);
      if (!mine.length) continue;
      const kube = this.kube(c);
      const nodeNames = Object.entries(c.mapping.containerOf).filter(([, container]) => mine.includes(container)).map(([name]) => name);
      const instances = this.o.experiment.topology.instances.filter((i) => nodeNames.includes(i.node)).map((i) => i.name);
      for (;;) {
        const [leases, nodes] = await Promise.all([
          kube.run(['-n', 'kube-node-lease', 'get', 'leases', '-o', 'json'], { context: 'read the node leases' }),
          kube.run(['get', 'nodes', '-o', 'json'], { context: 'read the nodes' }),
        ]);
        if (nodesBack(parseNodeViews(JSON.parse(leases.stdout || '{}'), JSON.parse(nodes.stdout || '{}')), mine, revertedAtMs) && podsBack(before, await this.podViews(c, instances), instances, restarted)) break;
        if (clock.now() > deadline) throw new EnvironmentError(`${mine.join(', ')} did not come back within ${REVERT_READY_S} s of the revert (kubelet lease renewed, node Ready, echo pods ${restarted ? 'restarted and ' : ''}Ready)`, 'look at `docker logs` of the node container and `kubectl describe node`');
        await clock.sleep(1000);
      }
    }
  }

  async inject(spec: FaultSpec): Promise<InjectedFault> {
    const { exec, scope } = this.o;
    const selector = faultSelector(spec);
    const target = describeFault(spec);
    switch (spec.kind) {
      case 'zone-outage':
      case 'region-outage': {
        const containers = this.containersFor(spec);
        // What the API server says of these nodes' echo pods before the fault: "back" is measured against it.
        const nodeNames = new Set(this.clusters.flatMap((c) => Object.entries(c.mapping.containerOf).filter(([, x]) => containers.includes(x)).map(([name]) => name)));
        const before: PodView[] = [];
        for (const c of this.clusters) {
          const instances = this.o.experiment.topology.instances.filter((i) => i.locality.cluster === c.cluster && nodeNames.has(i.node)).map((i) => i.name);
          // Unread, a pod counts as back once Ready (podsBack takes a pod it has no earlier view of as replaced): the
          // fault itself must not wait on the API server.
          for (const p of await this.podViews(c, instances).catch((error: unknown) => (this.o.log(`could not read the echo pods before the fault: ${errorMessage(error)}`), []))) before.push(p);
        }
        const undo = await actOnNodes(this.docker, exec, scope, OUTAGE_ACTION[spec.mode]!, containers);
        let revertedAtMs = Number.NaN;
        const revert = async () => {
          revertedAtMs = this.o.clock.now();
          await undo();
        };
        // Members go down with their nodes; naming them lets the analysis tell a lost leader (as locally).
        const t = this.o.experiment.topology;
        const members = t.members.filter((m) => matchesSelector(m, selector)).map((m) => m.name);
        return {
          target,
          mode: spec.mode,
          affected: [...containers, ...members],
          revert,
          awaitRecovered: async () => {
            // A stop restarts every container of the node; a pause or a disconnect leaves them running.
            await this.awaitNodesBack(containers, before, revertedAtMs, spec.mode === 'kill');
            // A stopped or disconnected node lost the routes to the other clusters' pods (Linkerd links them pod-to-pod).
            if (this.shape.podToPod) await this.linkerd.connectPodNetworks(await this.nodeNetworks(), containers);
            for (const m of members) await this.controlPlane?.awaitMemberBack(m, REVERT_READY_S * 1000);
          },
        };
      }
      case 'drain-listeners':
      case 'http-error':
      case 'latency': {
        // Through the echo's admin endpoint in each pod, as locally: a drain closes its listener and every
        // open connection (the pod goes unready until restored); a gray fault leaves the pod Ready.
        const pods = await this.podsMatching(selector);
        const { action, query } = spec.kind === 'drain-listeners' ? { action: 'drain' as const, query: '' } : grayCall(spec);
        const ids = await Promise.all(
          pods.map(async ({ cluster, pod }) => {
            const resource = { kind: 'pod-drained' as const, context: kubeContext(cluster), namespace: NAMESPACE, pod };
            return (await scope.acquire(resource, () => echoAdmin(this.kube(cluster), NAMESPACE, pod, action, query))).id;
          }),
        );
        // The records name topology instances (the echo's identity): so do the faults.
        const common = { target, affected: pods.map((p) => p.instance), revert: scope.releasing(ids) };
        if (spec.kind === 'drain-listeners') {
          return {
            ...common,
            awaitRecovered: async () => {
              for (const c of this.clusters) await awaitPodsReady(this.kube(c), NAMESPACE, pods.filter((p) => p.cluster === c).map((p) => p.pod));
            },
          };
        }
        const observe = async () => mergeArrivals(await Promise.all(pods.map(({ cluster, pod }) => echoState(this.kube(cluster), NAMESPACE, pod))));
        return { ...common, mode: describeGray(spec), observe };
      }
      case 'kill-instance': {
        const pods = await this.podsMatching(selector);
        for (const { cluster, pod } of pods) await this.kube(cluster).run(['-n', NAMESPACE, 'delete', 'pod', pod, '--grace-period=0', '--force'], { context: `kill ${pod}` });
        // The Deployment replaces killed pods by itself: nothing to undo, only to wait for.
        return {
          target,
          affected: pods.map((p) => p.instance),
          revert: async () => undefined,
          awaitRecovered: async () => {
            // Each killed instance's own Deployment (one replica) has its pod back.
            for (const { cluster, instance } of pods) {
              const name = `echo-${instance}`;
              await this.kube(cluster).run(['-n', NAMESPACE, 'rollout', 'status', `deployment/${name}`, '--timeout', `${REVERT_READY_S}s`], { context: `wait for ${name}`, timeoutMs: REVERT_READY_S * 1000 + 10_000 });
            }
          },
        };
      }
      case 'partition': {
        const side = (zone: string) => nodesInZone(this.o.experiment.topology.nodes, zone, spec.region).map((n) => n.name);
        const [a, b] = [side(spec.between[0]), side(spec.between[1])];
        const nets = await this.nodeNetworks();
        const containerOf = (n: string) => this.containerOf(n)!;
        const networksOf = (nodes: string[]) => nodes.flatMap((n) => nets.get(containerOf(n)) ?? [`<podCIDR of ${containerOf(n)}>`, `<address of ${containerOf(n)}>`]);
        const ids: number[] = [];
        for (const [mine, theirs] of [[a, b], [b, a]] as const) {
          for (const node of mine) {
            const container = containerOf(node);
            const { apply } = partitionCommands(this.docker, container, networksOf([...theirs]));
            const { id } = await scope.acquire({ kind: 'kind-partition', container, ...this.docker.hostField }, async () => {
              for (const argv of apply) await exec.run(argv, { context: `partition ${container}` });
            });
            ids.push(id);
          }
        }
        return { target, affected: [...a, ...b], revert: scope.releasing(ids) };
      }
      case 'freeze-instance':
        throw new UsageError('freeze-instance is not available with --provider kind (a pod cannot be SIGSTOPped from outside its node reliably)', 'use zone-outage with --mode freeze (pauses the node container), or kill-instance');
      case 'etcd-member-loss': {
        const cp = this.controlPlane!;
        const members = this.o.experiment.topology.members.map((m) => m.name);
        // leader/follower are resolved now, from each member's own etcd metrics.
        const { members: names, leader } = await chooseMembers(spec, members, () => cp.leader());
        const found = leader ? { leader } : {};
        const containers = names.map((n) => this.containerOf(n)!);
        const awaitRecovered = async () => {
          for (const n of names) await cp.awaitMemberBack(n, REVERT_READY_S * 1000);
        };
        if (spec.mode === 'freeze') {
          const revert = await actOnNodes(this.docker, exec, scope, 'pause', containers);
          return { target, mode: spec.mode, affected: names, ...found, revert, awaitRecovered };
        }
        // A crash, kept down until the revert however often the kubelet restarts it (docker-nodes.ts).
        const ids = await Promise.all(
          containers.map(async (container) => {
            const { apply } = this.docker.crashEtcd(container);
            const { id } = await scope.acquire({ kind: 'etcd-kept-down', container, ...this.docker.hostField }, async () => {
              for (const argv of apply) await exec.run(argv, { context: `crash etcd on ${container}` });
            });
            return id;
          }),
        );
        return { target, mode: spec.mode, affected: names, ...found, revert: scope.releasing(ids), awaitRecovered };
      }
    }
  }

  /** kind node container → [pod CIDR, node address], from the clusters' Node objects. */
  private async nodeNetworks(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const c of this.clusters) {
      const { stdout } = await this.kube(c).run(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}'], { context: `read node networks of ${c.name}` });
      for (const line of stdout.split('\n')) {
        const [name, cidr, address] = line.trim().split(/\s+/);
        if (name && cidr && address) out.set(name, [cidr, address]);
      }
    }
    return out;
  }

  /** Gateways with LoadBalancer addresses are installed (Istio across clusters; Linkerd's failover extension). */
  get needsLoadBalancers(): boolean {
    return this.shape.gateways;
  }

  /** The key of the experiment's meshAssertions this run holds to. */
  get dataPlane(): string {
    return this.shape.key;
  }

  async teardown(): Promise<string[]> {
    return this.o.scope.releaseAll();
  }

  /** Each capacity-limited echo pod's counters, read through its admin endpoint (instances are pods here). */
  async instanceLoad(): Promise<InstanceLoad[]> {
    const out: InstanceLoad[] = [];
    for (const node of this.o.experiment.topology.nodes.filter((n) => n.capacity && n.instances.length > 0)) {
      for (const { cluster, pod } of await this.podsMatching({ node: node.name })) {
        out.push(loadFromState(pod, node.capacity!.rps, await echoState(this.kube(cluster), NAMESPACE, pod)));
      }
    }
    return out;
  }

  facts(): Record<string, string> {
    return {
      provider: 'kind',
      clusters: this.clusters.map((c) => `${c.name} (${c.config.nodes.length} nodes, infrastructure on ${c.mapping.infraNode}, hash ${c.hash})`).join('; '),
      mesh: describeMesh(this.mesh, { istio: this.o.istioVersion, linkerd: this.o.linkerdVersion ?? DEFAULT_LINKERD_VERSION }, this.meshContext),
      ...(this.mesh === 'istio' ? { istio: this.o.istioVersion } : {}),
      ...(this.mesh === 'linkerd' ? { linkerd: this.o.linkerdVersion ?? DEFAULT_LINKERD_VERSION } : {}),
      ...recordedFacts(this.notes.notInForce, this.notes.notExpected),
      image: this.o.image,
      keep: String(this.o.keep),
      ...(this.clockFacts.length ? { nodeClockOffset: this.clockFacts.join('; ') } : {}),
      ...(this.controlPlane ? { controlPlaneProbe: this.controlPlane.describe() } : {}),
      drain: 'at the echo: its listener and open connections closed (admin /drain), reopened by /restore',
      partition: 'iptables chains inside the node containers',
    };
  }
}
