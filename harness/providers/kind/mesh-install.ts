import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Clock } from '../../core/clock.js';
import { EnvironmentError, errorMessage } from '../../core/errors.js';
import type { Executor } from '../../exec/index.js';
import type { ResourceScope } from '../../faults/scope.js';
import { Kube } from '../kubernetes/kube.js';
import type { DockerCli } from './docker-nodes.js';
import { pinToInfraPatch } from './infra.js';
import { controlPlaneOperator } from './istio-operator.js';
import { kubeContext, type RenderedCluster } from './kind-config.js';
import { cacertsSecretArgv, generateMeshCa } from './mesh-ca.js';
import { crossNetworkGateway, eastWestOperator, istioSystemNamespace, METALLB_MANIFEST_URL, METALLB_VERSION, metallbObjects, metallbRange, networkOf } from './multicluster.js';

// Istio on kind clusters: the control plane (pinned to the infra node), and
// for several clusters one multi-primary, multi-network mesh: MetalLB for the
// east-west gateways' addresses, a shared root CA, east-west gateways,
// remote secrets both ways, and a wait until every istiod has synced every
// other cluster. Every step is a command through the Executor, so a dry run
// prints it.

/** sha256 of MetalLB v0.14.9's config/manifests/metallb-native.yaml (71,953 bytes), checked before use. */
export const METALLB_MANIFEST_SHA256 = '951065e85692aa106f1bb5d5a487d9306154923a794ab1d82122881cbaf588e4';

/** The local copy of the MetalLB manifest: FH_METALLB_MANIFEST, or the harness's cache. Never downloaded during a run. */
export function metallbManifestPath(): string {
  return process.env.FH_METALLB_MANIFEST ?? join(homedir(), '.cache', 'failover-harness', `metallb-native-${METALLB_VERSION}.yaml`);
}

/** The exact commands that put the manifest where a run looks for it. */
export function metallbFetchHint(path = metallbManifestPath()): string {
  return `mkdir -p "${join(path, '..')}" && curl -fsSLo "${path}" ${METALLB_MANIFEST_URL} && echo "${METALLB_MANIFEST_SHA256}  ${path}" | sha256sum -c`;
}

/** What is wrong with the local MetalLB manifest, or null when it is there and intact. */
export function metallbManifestProblem(path = metallbManifestPath()): string | null {
  if (!existsSync(path)) return `the MetalLB ${METALLB_VERSION} manifest is not at ${path}`;
  const sum = createHash('sha256').update(readFileSync(path)).digest('hex');
  return sum === METALLB_MANIFEST_SHA256 ? null : `${path} has sha256 ${sum}, not MetalLB ${METALLB_VERSION}'s ${METALLB_MANIFEST_SHA256}`;
}

/** Rows of `istioctl remote-clusters` (NAME SECRET STATUS ISTIOD; the local cluster's SECRET is empty): the expected clusters not yet `synced`. */
export function unsyncedClusters(output: string, expected: readonly string[]): string[] {
  const rows = output.split('\n').map((l) => l.trim()).filter(Boolean);
  return expected.filter((name) => !rows.some((row) => row.split(/\s+/)[0] === name && /(^|\s)synced(\s|$)/.test(row)));
}

/** Retries an async step with exponential back-off; the last error propagates. */
export async function withRetries<T>(what: string, clock: Clock, tries: number, firstDelayMs: number, step: (attempt: number) => Promise<T>, log?: (line: string) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step(attempt);
    } catch (error) {
      if (attempt >= tries) throw error;
      const delay = firstDelayMs * 2 ** (attempt - 1);
      log?.(`${what} failed (try ${attempt} of ${tries}), again in ${delay / 1000} s: ${errorMessage(error).split('\n')[0]}`);
      await clock.sleep(delay);
    }
  }
}

export interface MeshInstallOptions {
  exec: Executor;
  docker: DockerCli;
  clock: Clock;
  scope: ResourceScope;
  clusters: readonly RenderedCluster[];
  reportDir: string;
  istioVersion: string;
  /** Kept or reused clusters keep their mesh CA across runs. */
  keepCa: () => boolean;
  dryRun: boolean;
  log: (line: string) => void;
  show?: (title: string, body: string) => void;
}

export class IstioInstaller {
  constructor(private readonly o: MeshInstallOptions) {}

  private kube(c: RenderedCluster): Kube {
    return new Kube(this.o.exec, kubeContext(c), c.name);
  }

  get multiCluster(): boolean {
    return this.o.clusters.length > 1;
  }

  private writeFile(name: string, title: string, body: unknown): string {
    const file = join(this.o.reportDir, 'kind', name);
    const text = stringify(body);
    writeFileSync(file, text);
    this.o.show?.(`${title} ${file}`, text);
    return file;
  }

  /** CoreDNS onto the infra node (kubeadm lets it run anywhere): a dead CoreDNS endpoint would time out lookups in healthy zones. */
  async pinClusterInfra(c: RenderedCluster): Promise<void> {
    const kube = this.kube(c);
    await kube.run(['-n', 'kube-system', 'patch', 'deployment', 'coredns', '--type', 'strategic', '-p', pinToInfraPatch()], { context: `pin CoreDNS to ${c.mapping.infraNode}` });
    await kube.run(['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout', '180s'], { context: 'wait for CoreDNS', timeoutMs: 200_000 });
  }

  /**
   * MetalLB in each cluster, from the local pinned manifest, its controller and
   * speaker on the infra node, with addresses from the top of the kind network.
   * Apply, wait and pool are retried together with back-off: the wait can find
   * no pods yet, and the pool is refused until MetalLB's webhook serves (Istio's
   * kind CI retries the same three steps).
   */
  async installLoadBalancers(): Promise<void> {
    const { exec, docker, clock } = this.o;
    const manifest = metallbManifestPath();
    if (!this.o.dryRun) {
      const problem = metallbManifestProblem(manifest);
      if (problem) throw new EnvironmentError(problem, `fetch it once: ${metallbFetchHint(manifest)}`);
    }
    const { stdout } = await exec.run(docker.argv('network', 'inspect', 'kind', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}'), { context: 'read the kind network' });
    const subnet = stdout.split(/\s+/).find((x) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(x));
    if (!subnet) throw new Error(`the kind Docker network has no IPv4 subnet (${stdout.trim() || 'none'}); the east-west gateways need one`);
    await Promise.all(
      this.o.clusters.map((c, i) =>
        withRetries(`MetalLB in ${c.name}`, clock, 6, 5000, async () => {
          const kube = this.kube(c);
          await kube.run(['apply', '-f', manifest], { context: `install MetalLB in ${c.name}`, timeoutMs: 120_000 });
          for (const [kind, name] of [['deployment', 'controller'], ['daemonset', 'speaker']] as const) {
            await kube.run(['-n', 'metallb-system', 'patch', kind, name, '--type', 'strategic', '-p', pinToInfraPatch()], { context: `pin MetalLB ${name} to ${c.mapping.infraNode}` });
          }
          await kube.run(['-n', 'metallb-system', 'rollout', 'status', 'deployment/controller', '--timeout', '120s'], { context: `wait for MetalLB in ${c.name}`, timeoutMs: 130_000 });
          await kube.run(['-n', 'metallb-system', 'wait', '--for=condition=Ready', 'pods', '-l', 'app=metallb', '--timeout', '120s'], { context: `wait for MetalLB pods in ${c.name}`, timeoutMs: 130_000 });
          await kube.apply(metallbObjects(metallbRange(subnet, i)), 'the MetalLB address pool');
        }, this.o.log),
      ),
    );
  }

  /**
   * One trust domain across clusters: a shared root CA with an intermediate per
   * cluster, as the `cacerts` secret each istiod signs with. Keys live in a
   * private temporary folder, removed at teardown, never in the report.
   */
  async installMeshCa(): Promise<void> {
    const { exec, scope } = this.o;
    let dir: string;
    if (this.o.keepCa() && !this.o.dryRun) {
      // Kept (or reused) clusters keep their istiods, which sign with this CA: every run on them must use it.
      dir = join(homedir(), '.local', 'state', 'failover-harness', 'mesh-ca');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.o.log(`mesh CA kept in ${dir} for kept clusters: remove it together with them`);
    } else {
      dir = mkdtempSync(join(tmpdir(), 'fh-mesh-ca-'));
      await scope.acquire({ kind: 'file', path: dir }, async () => undefined);
    }
    const folders = await generateMeshCa(exec, dir, this.o.clusters.map((c) => c.cluster), (path) => mkdirSync(path, { recursive: true, mode: 0o700 }));
    for (const c of this.o.clusters) {
      const kube = this.kube(c);
      await kube.apply([istioSystemNamespace(networkOf(c.cluster))], 'istio-system with its network');
      // Rendered client-side then applied, so a reused cluster's secret is replaced, not an error.
      const { stdout } = await exec.run([...cacertsSecretArgv(kubeContext(c), folders[c.cluster]!), '--dry-run=client', '-o', 'yaml'], { context: `render cacerts for ${c.name}` });
      await kube.run(['apply', '-f', '-'], { input: stdout, context: `install cacerts in ${c.name}` });
    }
  }

  /** istiod (minimal profile) from an IstioOperator file: the cluster's mesh and network, pinned to the infra node. */
  async installControlPlane(c: RenderedCluster): Promise<void> {
    const file = this.writeFile(`istio-${c.name}.yaml`, 'Istio control plane', controlPlaneOperator({ tag: this.o.istioVersion, cluster: c.cluster, network: networkOf(c.cluster) }));
    await this.o.exec.run(['istioctl', 'install', '-y', '--context', kubeContext(c), '-f', file], { context: `install Istio ${this.o.istioVersion} in ${c.name}`, timeoutMs: 600_000 });
  }

  /** East-west gateway (on the infra node) and the cross-network Gateway in one cluster. */
  async installEastWest(c: RenderedCluster): Promise<void> {
    const file = this.writeFile(`eastwest-${c.name}.yaml`, 'east-west gateway', eastWestOperator(networkOf(c.cluster)));
    await this.o.exec.run(['istioctl', 'install', '-y', '--context', kubeContext(c), '-f', file], { context: `install the east-west gateway in ${c.name}`, timeoutMs: 600_000 });
    await this.kube(c).apply([crossNetworkGateway()], 'the cross-network gateway');
  }

  /**
   * Every istiod watches every other cluster's API server. The address is the
   * first control-plane node's on the kind network: pods elsewhere cannot
   * resolve container names, and a node's own address is in its API server
   * certificate (kind's load balancer address is not).
   */
  async linkClusters(): Promise<void> {
    const { exec, docker } = this.o;
    for (const from of this.o.clusters) {
      const node = `${from.name}-control-plane`;
      const { stdout: ip } = await exec.run(docker.address(node), { context: `address of ${node}` });
      const { stdout: secret } = await exec.run(['istioctl', 'create-remote-secret', '--context', kubeContext(from), '--name', from.cluster, '--server', `https://${ip.trim() || `<${node} address>`}:6443`], { context: `remote secret of ${from.name}` });
      for (const to of this.o.clusters.filter((x) => x !== from)) {
        await this.kube(to).run(['apply', '-f', '-'], { input: secret, context: `let ${to.name} discover ${from.name}` });
      }
    }
  }

  /** Waits until each istiod reports every other cluster `synced`: traffic before that would see only local endpoints. */
  async awaitRemotesSynced(timeoutMs = 180_000): Promise<void> {
    const { exec, clock } = this.o;
    const deadline = clock.now() + timeoutMs;
    for (const c of this.o.clusters) {
      const others = this.o.clusters.filter((x) => x !== c).map((x) => x.cluster);
      for (;;) {
        const { stdout } = await exec.run(['istioctl', 'remote-clusters', '--context', kubeContext(c)], { context: `remote clusters of ${c.name}` }).catch(() => ({ stdout: '' }));
        const missing = this.o.dryRun ? [] : unsyncedClusters(stdout, others);
        if (missing.length === 0) break;
        if (clock.now() >= deadline) {
          throw new EnvironmentError(`istiod in ${c.name} has not synced ${missing.join(', ')} after ${timeoutMs / 1000} s`, `check its remote secret and istiod's log: kubectl --context ${kubeContext(c)} -n istio-system logs deploy/istiod`);
        }
        await clock.sleep(2000);
      }
    }
  }
}
