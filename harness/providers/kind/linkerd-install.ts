import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import { EnvironmentError } from '../../core/errors.js';
import type { Executor } from '../../exec/index.js';
import type { ResourceScope } from '../../faults/scope.js';
import { failoverTrafficSplit, trafficSplitProblems, type LinkerdMulticlusterMode } from '../../mesh/linkerd.js';
import { Kube } from '../kubernetes/kube.js';
import { NAMESPACE, SERVICE } from '../kubernetes/manifests.js';
import type { DockerCli } from './docker-nodes.js';
import { pinToInfraPatch } from './infra.js';
import { kubeContext, type RenderedCluster } from './kind-config.js';
import { generateLinkerdIdentity } from './linkerd-ca.js';
import { withRetries } from './mesh-install.js';
import { reachable } from './control-plane.js';

// Linkerd on kind clusters: CRDs, then the control plane with a harness-made
// identity (one trust anchor, an issuer per cluster), pinned to the infra
// node. For several clusters: routes between the clusters' pod networks on
// every node, the multicluster extension, a Link in each direction, and
// either the federated Service (default: pod-to-pod, no gateway) or the
// linkerd-failover extension's TrafficSplit (its controller watches the
// Endpoints of gateway-mode mirrors, so that mode installs gateways, with
// MetalLB addresses, and exports the Service with mirror.linkerd.io/exported=true).
// Every step is a command through the Executor, so a dry run prints it.


/** Helm repositories of the failover extension and of linkerd-smi (the TrafficSplit CRD it acts on). */
const HELM_REPOS = { 'linkerd-smi': 'https://linkerd.github.io/linkerd-smi', 'linkerd-edge': 'https://helm.linkerd.io/edge' };
/** [release, chart, --devel]; the failover extension is published as a pre-release. */
const HELM_CHARTS: [string, string, boolean][] = [
  ['linkerd-smi', 'linkerd-smi/linkerd-smi', false],
  ['linkerd-failover', 'linkerd-edge/linkerd-failover', true],
];

/**
 * `linkerd multicluster install` for a cluster that mirrors `links` (2.18:
 * each Link needs its service-mirror controller declared, named as the Link;
 * without a gateway for pod-to-pod links). Pure.
 */
export function multiclusterInstallArgs(links: readonly string[], gateway: boolean): string[] {
  return [
    'multicluster', 'install',
    ...(gateway ? [] : ['--gateway=false']),
    ...links.flatMap((link, i) => ['--set', `controllers[${i}].link.ref.name=${link}`, ...(gateway ? [] : ['--set', `controllers[${i}].gateway.enabled=false`])]),
  ];
}

export interface LinkerdInstallOptions {
  exec: Executor;
  docker: DockerCli;
  clock: Clock;
  scope: ResourceScope;
  clusters: readonly RenderedCluster[];
  linkerdVersion: string;
  mode: LinkerdMulticlusterMode;
  dryRun: boolean;
  log: (line: string) => void;
  /** --keep: the identity is kept beside the clusters for the next run (keptIdentityDir). */
  keep: boolean;
}

/**
 * Routes so that every node reaches every other cluster's pods directly: on
 * each node, one route per node of the other clusters, its pod CIDR via its
 * address on the kind network (kindnet routes only its own cluster's). Pure.
 */
export function podRoutes(clusters: readonly { name: string; nodes: readonly string[] }[], networks: ReadonlyMap<string, readonly string[]>): { node: string; cidr: string; via: string }[] {
  const out: { node: string; cidr: string; via: string }[] = [];
  for (const c of clusters) {
    for (const node of c.nodes) {
      for (const other of clusters.filter((x) => x !== c)) {
        for (const peer of other.nodes) {
          const net = networks.get(peer);
          if (net?.[0] && net[1]) out.push({ node, cidr: net[0], via: net[1] });
        }
      }
    }
  }
  return out;
}

/** Where a kept cluster's Linkerd identity lives between runs: one folder per set of clusters and their config hashes. */
export function keptIdentityDir(clusters: readonly Pick<RenderedCluster, 'name' | 'hash'>[]): string {
  return join(homedir(), '.cache', 'failover-harness', 'linkerd-identity', clusters.map((c) => `${c.name}-${c.hash}`).join('+'));
}

export class LinkerdInstaller {
  constructor(private readonly o: LinkerdInstallOptions) {}

  private kube(c: RenderedCluster): Kube {
    return new Kube(this.o.exec, kubeContext(c), c.name);
  }

  get multiCluster(): boolean {
    return this.o.clusters.length > 1;
  }

  private linkerd(c: RenderedCluster, ...args: string[]): string[] {
    return ['linkerd', '--context', kubeContext(c), ...args];
  }

  /** Renders with the linkerd CLI, then applies with kubectl (what `linkerd install | kubectl apply -f -` does). */
  private async renderAndApply(c: RenderedCluster, args: string[], what: string, timeoutMs = 120_000): Promise<void> {
    const { stdout } = await this.o.exec.run(this.linkerd(c, ...args), { context: `render ${what} for ${c.name}`, timeoutMs });
    await this.kube(c).run(['apply', '-f', '-'], { input: stdout, context: `apply ${what} to ${c.name}`, timeoutMs });
  }

  /** Whether the cluster already runs a Linkerd control plane (its linkerd-config ConfigMap exists). */
  private async installed(c: RenderedCluster): Promise<boolean> {
    if (this.o.dryRun) return false;
    const { stdout } = await this.kube(c).run(['-n', 'linkerd', 'get', 'configmap', 'linkerd-config', '--ignore-not-found', '-o', 'name'], { context: `look for Linkerd in ${c.name}` });
    return stdout.trim() !== '';
  }

  /** Every Deployment of a namespace onto the infra node, then rolled out: a fault must not take the mesh's own control plane. */
  private async pinNamespace(c: RenderedCluster, ns: string): Promise<void> {
    const kube = this.kube(c);
    const { stdout } = await kube.run(['-n', ns, 'get', 'deployments', '-o', 'name'], { context: `list ${ns} in ${c.name}` });
    const deployments = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
    for (const d of deployments) await kube.run(['-n', ns, 'patch', d, '--type', 'strategic', '-p', pinToInfraPatch()], { context: `pin ${d} to ${c.mapping.infraNode}` });
    for (const d of deployments) await kube.run(['-n', ns, 'rollout', 'status', d, '--timeout', '300s'], { context: `wait for ${d} in ${c.name}`, timeoutMs: 310_000 });
  }

  /**
   * The control plane in every cluster: one trust anchor, an issuer each
   * (keys in a private temporary folder, removed at teardown), CRDs first,
   * then `linkerd check` before any workload is injected.
   */
  async installControlPlanes(): Promise<void> {
    const { exec, scope } = this.o;
    // Kept clusters keep their identity: their proxies trust this anchor (kind-review-2 N3). Otherwise a private
    // temporary folder, removed at teardown.
    const dir = this.o.keep ? keptIdentityDir(this.o.clusters) : mkdtempSync(join(tmpdir(), 'fh-linkerd-identity-'));
    if (this.o.keep) mkdirSync(dir, { recursive: true, mode: 0o700 });
    else await scope.acquire({ kind: 'file', path: dir }, async () => undefined);
    const identity = await generateLinkerdIdentity(exec, dir, this.o.clusters.map((c) => c.cluster), (path) => mkdirSync(path, { recursive: true, mode: 0o700 }), (path, text) => writeFileSync(path, text, { mode: 0o600 }));
    await Promise.all(
      this.o.clusters.map(async (c) => {
        const files = identity[c.cluster]!;
        // A kept cluster already has it (`linkerd install` would refuse: linkerd-config exists): it is checked, not reinstalled.
        if (await this.installed(c)) {
          this.o.log(`Linkerd is already installed in ${c.name} (a kept cluster made for this mesh): checking it, not installing it again`);
          await exec.run(this.linkerd(c, 'check', '--wait', '5m0s'), { context: `linkerd check in ${c.name}`, timeoutMs: 330_000 });
          return;
        }
        await this.renderAndApply(c, ['install', '--crds'], `the Linkerd ${this.o.linkerdVersion} CRDs`);
        await this.renderAndApply(
          c,
          [
            'install', '--identity-trust-anchors-file', files.trustAnchor, '--identity-issuer-certificate-file', files.issuerCert, '--identity-issuer-key-file', files.issuerKey,
            // kind's nodes (and their kube-proxy) use iptables' nf_tables backend; 2.18's proxy-init still defaults
            // to legacy, and mixed rules are a known way for linkerd-init to fail (nft became the default in 2025-08).
            '--set', 'proxyInit.iptablesMode=nft',
            // No linkerd-heartbeat CronJob: its pods would land on any node, and a failed one on a worker of a kept
            // cluster would fail the next run's placement check (kind-review-2 N9).
            '--set', 'disableHeartBeat=true',
          ],
          `the Linkerd ${this.o.linkerdVersion} control plane`,
        );
        await this.pinNamespace(c, 'linkerd');
        await exec.run(this.linkerd(c, 'check', '--wait', '5m0s'), { context: `linkerd check in ${c.name}`, timeoutMs: 330_000 });
      }),
    );
  }

  /**
   * Pod-to-pod between clusters: routes on every node (from the Node objects'
   * pod CIDRs and addresses), or only on `only`: a node container that was
   * stopped or disconnected lost its routes and gets them again.
   */
  async connectPodNetworks(networks: ReadonlyMap<string, readonly string[]>, only?: readonly string[]): Promise<void> {
    const clusters = this.o.clusters.map((c) => ({ name: c.name, nodes: [...new Set([...Object.values(c.mapping.containerOf), c.mapping.infraNode])] }));
    const routes = podRoutes(clusters, this.o.dryRun && networks.size === 0 ? dryNetworks(clusters) : networks).filter((r) => !only || only.includes(r.node));
    if (!this.o.dryRun && routes.length === 0) throw new EnvironmentError('no pod CIDRs found on the clusters\' nodes: cannot link them pod-to-pod', 'check `kubectl get nodes -o wide` in each cluster');
    for (const r of routes) {
      await this.o.exec.run(this.o.docker.argv('exec', r.node, 'ip', 'route', 'replace', r.cidr, 'via', r.via), { context: `route ${r.cidr} from ${r.node}` });
    }
  }

  /**
   * The multicluster extension without a gateway in each cluster, then a Link
   * in each direction (`link-gen` from the cluster to be watched, applied in
   * the watching one), checked with `linkerd multicluster check`. The API
   * server address is the control-plane node's on the kind network: it is in
   * the server certificate, and every cluster's pods can reach it.
   */
  async linkClusters(): Promise<void> {
    const { exec, docker } = this.o;
    const gateway = this.o.mode === 'failover-extension';
    await Promise.all(
      this.o.clusters.map(async (c) => {
        await this.renderAndApply(c, multiclusterInstallArgs(this.o.clusters.filter((x) => x !== c).map((x) => x.cluster), gateway), 'the Linkerd multicluster extension');
        await this.pinNamespace(c, 'linkerd-multicluster');
      }),
    );
    for (const from of this.o.clusters) {
      const node = `${from.name}-control-plane`;
      const { stdout: ip } = await exec.run(docker.address(node), { context: `address of ${node}` });
      // `linkerd multicluster check` dials each Link's API server from here (kind-review-2 N4): refuse with the reason
      // where the kind network is not routed to this host (Docker Desktop), as the control-plane probe does.
      if (!this.o.dryRun && ip.trim() && !(await reachable(ip.trim(), 6443, 3000))) {
        throw new EnvironmentError(
          `the API server of ${from.name} (${ip.trim()}:6443 on the kind network) is not reachable from this host, and \`linkerd multicluster check\` checks each link from here`,
          'the kind network is routed to the host on Linux, not by Docker Desktop (macOS, Windows): run multi-cluster Linkerd on Linux, or --mesh istio',
        );
      }
      const { stdout: link } = await exec.run(this.linkerd(from, 'multicluster', 'link-gen', '--cluster-name', from.cluster, ...(gateway ? [] : ['--gateway=false']), '--api-server-address', `https://${ip.trim() || `<${node} address>`}:6443`), {
        context: `link of ${from.name}`,
      });
      for (const to of this.o.clusters.filter((x) => x !== from)) {
        await this.kube(to).run(['apply', '-f', '-'], { input: link, context: `let ${to.name} mirror ${from.name}` });
      }
    }
    for (const c of this.o.clusters) {
      await withRetries(`linkerd multicluster check in ${c.name}`, this.o.clock, 6, 5000, () => exec.run(this.linkerd(c, 'multicluster', 'check'), { context: `linkerd multicluster check in ${c.name}`, timeoutMs: 120_000 }), this.o.log);
    }
  }

  /**
   * Waits until each cluster has what its clients call: the federated Service
   * (`echo-federated`), or for the failover extension the mirrors of every
   * other cluster's Service (`echo-<cluster>`).
   */
  async awaitMirrors(): Promise<void> {
    for (const c of this.o.clusters) {
      const names = this.o.mode === 'federated' ? [`${SERVICE}-federated`] : this.o.clusters.filter((x) => x !== c).map((x) => `${SERVICE}-${x.cluster}`);
      for (const name of names) {
        await withRetries(`${name} in ${c.name}`, this.o.clock, 8, 2000, () => this.kube(c).run(['-n', NAMESPACE, 'get', 'service', name, '-o', 'name'], { context: `find ${name} in ${c.name}` }), this.o.log);
      }
    }
  }

  /** The linkerd-failover extension (and linkerd-smi, which brings the TrafficSplit CRD) in each cluster, then the TrafficSplits. */
  async installFailoverExtension(): Promise<void> {
    const { exec } = this.o;
    for (const [name, url] of Object.entries(HELM_REPOS)) await exec.run(['helm', 'repo', 'add', '--force-update', name, url], { context: `add the ${name} Helm repository` });
    for (const c of this.o.clusters) {
      const ctx = kubeContext(c);
      for (const [release, chart, devel] of HELM_CHARTS) {
        // The release name is the extension's selector value (failover.linkerd.io/controlled-by).
        await exec.run(['helm', '--kube-context', ctx, 'upgrade', '--install', release, chart, ...(devel ? ['--devel'] : []), '-n', release, '--create-namespace', '--wait', '--timeout', '5m'], { context: `install ${release} in ${c.name}`, timeoutMs: 330_000 });
        await this.pinNamespace(c, release);
      }
      const split = failoverTrafficSplit(SERVICE, NAMESPACE, this.o.clusters.filter((x) => x !== c).map((x) => x.cluster));
      const problems = trafficSplitProblems(split);
      if (problems.length) throw new Error(`invalid TrafficSplit: ${problems.join('; ')}`);
      await this.kube(c).apply([split], 'the failover TrafficSplit');
    }
  }
}

/** Plausible node networks for a dry run: pod CIDRs as kind-config assigns them, addresses on the kind network. */
function dryNetworks(clusters: readonly { nodes: readonly string[] }[]): Map<string, [string, string]> {
  const out = new Map<string, [string, string]>();
  let n = 0;
  clusters.forEach((c, ci) => c.nodes.forEach((node, ni) => out.set(node, [`10.${10 + ci}.${ni}.0/24`, `172.18.0.${2 + n++}`])));
  return out;
}
