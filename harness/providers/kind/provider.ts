import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Clock } from '../../core/clock.js';
import { UsageError } from '../../core/errors.js';
import { matchesSelector, nodesInZone, type Experiment } from '../../core/experiment.js';
import { describeFault, faultSelector, pickMembers, type FaultSpec, type Selector } from '../../core/fault-spec.js';
import type { Executor } from '../../exec/index.js';
import type { ResourceScope } from '../../faults/scope.js';
import { renderIstio, validateIstio } from '../../mesh/istio.js';
import { formatRecords, parseRecords, type RequestRecord } from '../../traffic/record.js';
import { K6_SCRIPT } from '../../traffic/k6/run.js';
import type { InjectedFault, Provider, TrafficPlan } from '../provider.js';
import { KindControlPlane } from './control-plane.js';
import { cacertsSecretArgv, generateMeshCa } from './mesh-ca.js';
import { crossNetworkGateway, eastWestOperator, istioSystemNamespace, METALLB_MANIFEST, metallbObjects, metallbRange, networkOf } from './multicluster.js';
import { actOnNodes, DockerCli, partitionCommands, type NodeAction } from './docker-nodes.js';
import { kubeContext, LABEL_HASH, LABEL_NODE, renderKindClusters, type RenderedCluster } from './kind-config.js';
import { clientJobs, echoDeployments, echoService, k6ScriptConfigMap, namespace, NAMESPACE, SERVICE_HOST, validateAll } from './manifests.js';
import { ingestK6 } from '../../traffic/k6/ingest.js';

// Multi-cluster kind with Istio. Every step is a command through the Executor,
// so --dry-run (DryRunExecutor) prints exactly what a real run executes.
// Not yet exercised against a live kind cluster: see docs/providers.md.

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
  istioVersion: string;
  image: string;
  dockerHost?: string;
  /** A dry run: the control-plane probe prints what it would do instead of calling an API server. */
  dryRun?: boolean;
  /** Print rendered files too (the dry run shows everything). */
  show?: (title: string, body: string) => void;
}

const OUTAGE_ACTION: Record<string, NodeAction> = { kill: 'stop', freeze: 'pause', isolate: 'disconnect' };

export class KindProvider implements Provider {
  readonly name = 'kind';
  readonly isolation = 'docker';
  /** Jobs need scheduling and a sidecar before their first request. */
  readonly trafficLeadMs = 20_000;
  readonly clusters: RenderedCluster[];
  readonly controlPlane?: KindControlPlane;
  private readonly docker: DockerCli;
  /** Set when provision found a cluster to reuse: its istiod already signs with the kept mesh CA. */
  private reusedCluster = false;

  constructor(private readonly o: KindProviderOptions) {
    this.clusters = renderKindClusters(o.experiment.topology);
    this.docker = new DockerCli(o.dockerHost);
    if (o.experiment.topology.members.length > 0) {
      this.controlPlane = new KindControlPlane({ ...o, clusters: this.clusters, docker: this.docker, live: !o.dryRun });
    }
  }

  private kubectl(cluster: RenderedCluster, ...args: string[]): string[] {
    return ['kubectl', '--context', kubeContext(cluster), ...args];
  }

  /** The kind node container of a topology node or etcd member, in whichever cluster holds it. */
  private containerOf(name: string): string | undefined {
    return this.clusters.map((c) => c.mapping.containerOf[name]).find(Boolean);
  }

  private apply(cluster: RenderedCluster, objects: Record<string, unknown>[], what: string) {
    return this.o.exec.run(this.kubectl(cluster, 'apply', '-f', '-'), { input: objects.map((x) => stringify(x, { blockQuote: 'literal' })).join('---\n'), context: `apply ${what} to ${cluster.name}` });
  }

  async provision(): Promise<void> {
    const { exec, scope, reportDir } = this.o;
    mkdirSync(join(reportDir, 'kind'), { recursive: true });
    const { stdout } = await exec.run(['kind', 'get', 'clusters'], { context: 'list kind clusters' });
    const existing = new Set(stdout.split('\n').filter(Boolean));
    // Clusters are independent: create them in parallel.
    await Promise.all(
      this.clusters.map(async (c) => {
        const file = join(reportDir, 'kind', `${c.name}.yaml`);
        const text = stringify(c.config);
        writeFileSync(file, text);
        this.o.show?.(`kind config ${file}`, text);
        if (existing.has(c.name)) {
          const nodes = await exec.run(this.kubectl(c, 'get', 'nodes', '-l', `${LABEL_HASH}=${c.hash}`, '-o', 'name'), { context: `inspect ${c.name}` });
          if (nodes.stdout.trim()) {
            this.o.log(`reusing kind cluster ${c.name} (config hash ${c.hash})`);
            this.reusedCluster = true;
            return;
          }
          this.o.log(`kind cluster ${c.name} exists with another configuration: recreating it`);
          await exec.run(['kind', 'delete', 'cluster', '--name', c.name], { context: `delete ${c.name}`, timeoutMs: 300_000 });
        }
        this.o.log(`creating kind cluster ${c.name}: ${c.config.nodes.length} nodes`);
        const create = () => exec.run(['kind', 'create', 'cluster', '--name', c.name, '--config', file, '--wait', '180s'], { context: `create kind cluster ${c.name}`, timeoutMs: 600_000 });
        if (this.o.keep) await create();
        else await scope.acquire({ kind: 'kind-cluster', name: c.name }, create);
      }),
    );
    if (this.multiCluster) await this.installLoadBalancers();
  }

  /** Several clusters make one mesh of several networks (see multicluster.ts). */
  get multiCluster(): boolean {
    return this.clusters.length > 1;
  }

  /** MetalLB in each cluster, with addresses from the top of the kind network, for the east-west gateways. */
  private async installLoadBalancers(): Promise<void> {
    const { exec } = this.o;
    const { stdout } = await exec.run(this.docker.argv('network', 'inspect', 'kind', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}'), { context: 'read the kind network' });
    const subnet = stdout.split(/\s+/).find((x) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(x));
    if (!subnet) throw new Error(`the kind Docker network has no IPv4 subnet (${stdout.trim() || 'none'}); the east-west gateways need one`);
    await Promise.all(
      this.clusters.map(async (c, i) => {
        await exec.run(this.kubectl(c, 'apply', '-f', METALLB_MANIFEST), { context: `install MetalLB in ${c.name}`, timeoutMs: 120_000 });
        await exec.run(this.kubectl(c, '-n', 'metallb-system', 'wait', '--for=condition=Ready', 'pods', '-l', 'app=metallb', '--timeout', '180s'), { context: `wait for MetalLB in ${c.name}`, timeoutMs: 200_000 });
        await this.apply(c, metallbObjects(metallbRange(subnet, i)), 'the MetalLB address pool');
      }),
    );
  }

  /**
   * One trust domain across clusters: a shared root CA with an intermediate per
   * cluster, as the `cacerts` secret each istiod signs with. Keys live in a
   * private temporary folder, removed at teardown, never in the report.
   */
  private async installMeshCa(): Promise<void> {
    const { exec, scope } = this.o;
    let dir: string;
    if ((this.o.keep || this.reusedCluster) && !this.o.dryRun) {
      // Kept (or reused) clusters keep their istiods, which sign with this CA: every run on them must use it.
      dir = join(homedir(), '.local', 'state', 'failover-harness', 'mesh-ca');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.o.log(`mesh CA kept in ${dir} for kept clusters: remove it together with them`);
    } else {
      dir = mkdtempSync(join(tmpdir(), 'fh-mesh-ca-'));
      await scope.acquire({ kind: 'file', path: dir }, async () => undefined);
    }
    const folders = await generateMeshCa(exec, dir, this.clusters.map((c) => c.cluster), (path) => mkdirSync(path, { recursive: true, mode: 0o700 }));
    for (const c of this.clusters) {
      await this.apply(c, [istioSystemNamespace(networkOf(c.cluster))], 'istio-system with its network');
      // Rendered client-side then applied, so a reused cluster's secret is replaced, not an error.
      const { stdout } = await exec.run([...cacertsSecretArgv(kubeContext(c), folders[c.cluster]!), '--dry-run=client', '-o', 'yaml'], { context: `render cacerts for ${c.name}` });
      await exec.run(this.kubectl(c, 'apply', '-f', '-'), { input: stdout, context: `install cacerts in ${c.name}` });
    }
  }

  /** East-west gateway and the cross-network Gateway in one cluster. */
  private async installEastWest(c: RenderedCluster): Promise<void> {
    const file = join(this.o.reportDir, 'kind', `eastwest-${c.name}.yaml`);
    const text = stringify(eastWestOperator(networkOf(c.cluster)));
    writeFileSync(file, text);
    this.o.show?.(`east-west gateway ${file}`, text);
    await this.o.exec.run(['istioctl', 'install', '-y', '--context', kubeContext(c), '-f', file], { context: `install the east-west gateway in ${c.name}`, timeoutMs: 600_000 });
    await this.apply(c, [crossNetworkGateway()], 'the cross-network gateway');
  }

  /**
   * Every istiod watches every other cluster's API server. The address is the
   * first control-plane node's on the kind network: pods elsewhere cannot
   * resolve container names, and a node's own address is in its API server
   * certificate (kind's load balancer address is not).
   */
  private async linkClusters(): Promise<void> {
    const { exec } = this.o;
    for (const from of this.clusters) {
      const node = `${from.name}-control-plane`;
      const { stdout: ip } = await exec.run(this.docker.argv('inspect', '--format', '{{with index .NetworkSettings.Networks "kind"}}{{.IPAddress}}{{end}}', node), { context: `address of ${node}` });
      const { stdout: secret } = await exec.run(['istioctl', 'create-remote-secret', '--context', kubeContext(from), '--name', from.cluster, '--server', `https://${ip.trim() || `<${node} address>`}:6443`], { context: `remote secret of ${from.name}` });
      for (const to of this.clusters.filter((x) => x !== from)) {
        await exec.run(this.kubectl(to, 'apply', '-f', '-'), { input: secret, context: `let ${to.name} discover ${from.name}` });
      }
    }
  }

  async deploy(): Promise<void> {
    const { exec, experiment, image, istioVersion } = this.o;
    const { stdout: version } = await exec.run(['istioctl', 'version', '--remote=false', '--short'], { context: 'istioctl version' });
    if (version.trim() && !version.includes(istioVersion)) {
      throw new UsageError(`istioctl is ${version.trim()}, the run pins Istio ${istioVersion}`, `install istioctl ${istioVersion}, or pass --istio-version ${version.trim()}`);
    }
    await exec.run(this.docker.argv('build', '-t', image, '-f', join(this.o.repoRoot, 'Dockerfile'), this.o.repoRoot), { context: 'build the echo image', timeoutMs: 900_000 });
    const istio = renderIstio(experiment.policy, SERVICE_HOST, NAMESPACE);
    validateIstio(istio);
    if (this.multiCluster) await this.installMeshCa();
    await Promise.all(
      this.clusters.map(async (c) => {
        await exec.run(['kind', 'load', 'docker-image', image, '--name', c.name], { context: `load the echo image into ${c.name}`, timeoutMs: 600_000 });
        await exec.run(
          ['istioctl', 'install', '-y', '--context', kubeContext(c), '--set', 'profile=minimal', '--set', `tag=${istioVersion}`, '--set', 'values.global.meshID=failover-harness', '--set', `values.global.multiCluster.clusterName=${c.cluster}`, '--set', `values.global.network=${networkOf(c.cluster)}`],
          { context: `install Istio ${istioVersion} in ${c.name}`, timeoutMs: 600_000 },
        );
        if (this.multiCluster) await this.installEastWest(c);
        const deployments = echoDeployments(experiment, c.cluster, image);
        const objects = [namespace(), echoService(), ...deployments];
        validateAll(objects);
        await this.apply(c, [...objects, istio.destinationRule, istio.virtualService], 'the echo service and failover policy');
        for (const d of deployments) {
          const name = (d.metadata as { name: string }).name;
          await exec.run(this.kubectl(c, '-n', NAMESPACE, 'rollout', 'status', `deployment/${name}`, '--timeout', '180s'), { context: `wait for ${name}`, timeoutMs: 200_000 });
        }
      }),
    );
    if (this.multiCluster) await this.linkClusters();
    if (this.controlPlane) await this.controlPlane.prepare((objects) => this.apply(this.controlPlane!.cluster, objects, 'the probe namespace'));
  }

  async startTraffic(plan: TrafficPlan): Promise<void> {
    // With --driver k6 the Jobs run the repo's k6 script, shipped as a ConfigMap.
    const script = this.o.experiment.traffic.driver === 'k6' ? [k6ScriptConfigMap(readFileSync(join(this.o.repoRoot, K6_SCRIPT), 'utf8'))] : [];
    for (const c of this.clusters) {
      const jobs = clientJobs(this.o.experiment, c.cluster, this.o.image, plan.startAt, plan.maxDurationMs);
      if (!jobs.length) continue;
      validateAll([...script, ...jobs]);
      await this.apply(c, [...script, ...jobs], 'the traffic clients');
    }
  }

  async stopTraffic(): Promise<{ records: RequestRecord[]; files: string[] }> {
    const records: RequestRecord[] = [];
    const files: string[] = [];
    mkdirSync(join(this.o.reportDir, 'records'), { recursive: true });
    for (const c of this.clusters) {
      for (const client of this.o.experiment.topology.clients.filter((x) => x.locality.cluster === c.cluster)) {
        const job = `job/traffic-${client.name}`;
        await this.o.exec.run(this.kubectl(c, '-n', NAMESPACE, 'wait', '--for=condition=complete', job, '--timeout', '120s'), { context: `wait for ${job}`, timeoutMs: 130_000 }).catch(() => undefined);
        const { stdout } = await this.o.exec.run(this.kubectl(c, '-n', NAMESPACE, 'logs', job, '-c', 'driver'), { context: `collect records of ${client.name}` });
        const text = stdout.split('\n').filter((l) => l.startsWith('{')).join('\n');
        const mine = this.o.experiment.traffic.driver === 'k6' ? ingestK6(client.name, text) : parseRecords(text);
        const file = join(this.o.reportDir, 'records', `${client.name}.ndjson`);
        writeFileSync(file, formatRecords(mine));
        files.push(file);
        records.push(...mine);
        await this.o.exec.run(this.kubectl(c, '-n', NAMESPACE, 'delete', job, '--wait=false'), { context: `remove ${job}` });
      }
    }
    return { records, files };
  }

  /** Kind node containers of topology nodes matching the selector that run instances or etcd members. */
  private containersFor(spec: FaultSpec): string[] {
    const selector = faultSelector(spec);
    const t = this.o.experiment.topology;
    // Members map to their own control-plane containers (two members may share a topology node).
    const keys = [
      ...t.instances.filter((i) => matchesSelector(i, selector)).map((i) => i.node),
      ...t.members.filter((m) => matchesSelector(m, selector)).map((m) => m.name),
    ];
    return [...new Set(keys.map((k) => this.containerOf(k)).filter((x): x is string => Boolean(x)))];
  }

  /** The echo pods of the instances a selector matches. */
  private async podsMatching(selector: Selector): Promise<{ cluster: RenderedCluster; pod: string }[]> {
    const nodes = [...new Set(this.o.experiment.topology.instances.filter((i) => matchesSelector(i, selector)).map((i) => i.node))];
    const out: { cluster: RenderedCluster; pod: string }[] = [];
    for (const c of this.clusters) {
      const mine = nodes.filter((n) => c.mapping.containerOf[n]);
      if (!mine.length) continue;
      const { stdout } = await this.o.exec.run(this.kubectl(c, '-n', NAMESPACE, 'get', 'pods', '-l', `app=echo,${LABEL_NODE} in (${mine.join(',')})`, '-o', 'name'), { context: 'find pods' });
      out.push(...stdout.split('\n').filter(Boolean).map((p) => ({ cluster: c, pod: p.replace(/^pod\//, '') })));
    }
    return out;
  }

  async inject(spec: FaultSpec): Promise<InjectedFault> {
    const { exec, scope } = this.o;
    const selector = faultSelector(spec);
    const target = describeFault(spec);
    switch (spec.kind) {
      case 'zone-outage':
      case 'region-outage': {
        const containers = this.containersFor(spec);
        const revert = await actOnNodes(this.docker, exec, scope, OUTAGE_ACTION[spec.mode]!, containers);
        // Members go down with their nodes; naming them lets the analysis tell a lost leader (as locally).
        const members = this.o.experiment.topology.members.filter((m) => matchesSelector(m, selector)).map((m) => m.name);
        return { target, mode: spec.mode, affected: [...containers, ...members], revert };
      }
      case 'drain-listeners': {
        const pods = await this.podsMatching(selector);
        const ids = await Promise.all(
          pods.map(async ({ cluster, pod }) => {
            const drain = this.kubectl(cluster, '-n', NAMESPACE, 'exec', pod, '-c', 'istio-proxy', '--', 'pilot-agent', 'request', 'POST', 'drain_listeners?inboundonly');
            return (await scope.acquire({ kind: 'pod-drained', context: kubeContext(cluster), namespace: NAMESPACE, pod }, () => exec.run(drain, { context: `drain ${pod}` }))).id;
          }),
        );
        return { target, affected: pods.map((p) => p.pod), revert: scope.releasing(ids) };
      }
      case 'kill-instance': {
        const pods = await this.podsMatching(selector);
        for (const { cluster, pod } of pods) await exec.run(this.kubectl(cluster, '-n', NAMESPACE, 'delete', 'pod', pod, '--grace-period=0', '--force'), { context: `kill ${pod}` });
        // The Deployment replaces killed pods by itself; revert waits for that.
        return {
          target,
          affected: pods.map((p) => p.pod),
          revert: async () => {
            for (const c of this.clusters) await exec.run(this.kubectl(c, '-n', NAMESPACE, 'wait', '--for=condition=Ready', 'pods', '-l', 'app=echo', '--timeout', '120s'), { context: 'wait for replacements' });
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
        const members = this.o.experiment.topology.members.map((m) => m.name);
        // leader/follower are resolved now, from each member's own etcd metrics.
        const names = await pickMembers(spec, members, () => this.controlPlane!.leader());
        const containers = names.map((n) => this.containerOf(n)!);
        if (spec.mode === 'freeze') {
          const revert = await actOnNodes(this.docker, exec, scope, 'pause', containers);
          return { target, mode: spec.mode, affected: names, revert };
        }
        const ids = await Promise.all(
          containers.map(async (container) => {
            const move = this.docker.moveEtcdManifest(container).apply;
            return (await scope.acquire({ kind: 'etcd-manifest-moved', container, ...this.docker.hostField }, () => exec.run(move, { context: `stop etcd on ${container}` }))).id;
          }),
        );
        return { target, mode: spec.mode, affected: names, revert: scope.releasing(ids) };
      }
    }
  }

  /** kind node container → [pod CIDR, node address], from the clusters' Node objects. */
  private async nodeNetworks(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const c of this.clusters) {
      const { stdout } = await this.o.exec.run(
        this.kubectl(c, 'get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}'),
        { context: `read node networks of ${c.name}` },
      );
      for (const line of stdout.split('\n')) {
        const [name, cidr, address] = line.trim().split(/\s+/);
        if (name && cidr && address) out.set(name, [cidr, address]);
      }
    }
    return out;
  }

  async teardown(): Promise<string[]> {
    return this.o.scope.releaseAll();
  }

  facts(): Record<string, string> {
    return { provider: 'kind', clusters: this.clusters.map((c) => `${c.name} (${c.config.nodes.length} nodes, hash ${c.hash})`).join('; '), istio: this.o.istioVersion, image: this.o.image, keep: String(this.o.keep) };
  }
}
