import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { printKindPlan } from '../../harness/cli/kind-run.js';
import { systemClock } from '../../harness/core/clock.js';
import { assertionsFor, notExpectedFor, parseExperiment } from '../../harness/core/experiment.js';
import { realExecutor } from '../../harness/exec/index.js';
import { dataPlaneShape, policyNotInForce } from '../../harness/mesh/choice.js';
import {
  failoverTrafficSplit,
  linkerdServiceAnnotations,
  linkerdVersionFits,
  parseLinkerdVersion,
  trafficSplitProblems,
  type LinkerdMulticlusterMode,
} from '../../harness/mesh/linkerd.js';
import { generateLinkerdIdentity, LINKERD_ISSUER_CN } from '../../harness/providers/kind/linkerd-ca.js';
import { multiclusterInstallArgs, podRoutes } from '../../harness/providers/kind/linkerd-install.js';
import { clientJobs, echoService, namespace, serviceHost, validateAll } from '../../harness/providers/kubernetes/manifests.js';
import clusterFailover from '../../experiments/cluster-failover.js';
import drainListeners from '../../experiments/drain-listeners.js';
import zoneOutage from '../../experiments/zone-outage.js';

// --mesh linkerd on kind: what the policy becomes on the Service, what Linkerd
// cannot honour, the identity it needs (made by real openssl and checked with
// it), and whole dry-run plans.

const ex = (raw: unknown) => parseExperiment(raw, 'test');

async function plan(raw: unknown, mesh: 'linkerd' | 'none' | 'istio', linkerdMode?: LinkerdMulticlusterMode): Promise<string> {
  const lines: string[] = [];
  await printKindPlan({ experiment: ex(raw), clock: systemClock, keep: false, istioVersion: '1.30', linkerdVersion: 'edge-25.4.4', ...(linkerdMode ? { linkerdMode } : {}), image: 'img', mesh, print: (s) => lines.push(s) });
  return lines.join('\n');
}

describe('Linkerd renderers', () => {
  it('renders failure accrual and retries from the policy onto the Service', () => {
    const policy = ex(zoneOutage).policy;
    expect(linkerdServiceAnnotations(policy)).toEqual({
      'balancer.linkerd.io/failure-accrual': 'consecutive',
      'balancer.linkerd.io/failure-accrual-consecutive-max-failures': '1',
      'balancer.linkerd.io/failure-accrual-consecutive-min-penalty': '2s',
      'balancer.linkerd.io/failure-accrual-consecutive-max-penalty': '60s',
      'retry.linkerd.io/http': '5xx',
      'retry.linkerd.io/limit': '2',
      'retry.linkerd.io/timeout': '500ms',
    });
    // No retries asked: no retry annotations (Linkerd would default the limit to 1 if any were there).
    expect(Object.keys(linkerdServiceAnnotations({ ...policy, retries: { ...policy.retries, attempts: 0 } })).filter((k) => k.startsWith('retry.'))).toEqual([]);
  });

  it('Service, namespace and client Job: federated across clusters, valid against the Kubernetes schema', () => {
    const e = ex(clusterFailover);
    const plane = { mesh: 'linkerd' as const, policy: e.policy, multiCluster: true, linkerdMode: 'federated' as const };
    const svc = echoService(plane);
    const ns = namespace(plane);
    const jobs = clientJobs(e, 'east', 'img', { startAt: 0, maxDurationMs: 1000, k6DurationMs: 1000 }, plane);
    validateAll([svc, ns, ...jobs]);
    expect((svc.metadata as { labels: Record<string, string> }).labels['mirror.linkerd.io/federated']).toBe('member');
    expect((svc.spec as { trafficDistribution?: string }).trafficDistribution).toBe('PreferSameZone');
    expect((ns.metadata as { annotations: Record<string, string> }).annotations).toMatchObject({ 'linkerd.io/inject': 'enabled', 'config.linkerd.io/proxy-outbound-connect-timeout': '250ms' });
    expect((ns.metadata as { labels: Record<string, string> }).labels['istio-injection']).toBe('disabled');
    expect(serviceHost(plane)).toBe('echo-federated.chaos.svc.cluster.local');
    const pod = (jobs[0]!.spec as any).template;
    expect(pod.metadata.annotations).toEqual({ 'config.alpha.linkerd.io/proxy-enable-native-sidecar': 'true' });
    expect(pod.spec.containers[0].args).toEqual(expect.arrayContaining(['--target', 'http://echo-federated.chaos.svc.cluster.local:8080/', '--allow-target', 'echo-federated.chaos.svc.cluster.local']));
    // The extension calls the TrafficSplit's root Service, exported through the gateway.
    const ext = { ...plane, linkerdMode: 'failover-extension' as const };
    expect(serviceHost(ext)).toBe('echo.chaos.svc.cluster.local');
    expect((echoService(ext).metadata as { labels: Record<string, string> }).labels['mirror.linkerd.io/exported']).toBe('true');
    // One cluster: neither label, the plain Service.
    expect((echoService({ ...plane, multiCluster: false }).metadata as { labels: Record<string, string> }).labels).toEqual({ app: 'echo' });
  });

  it("the failover extension's TrafficSplit: all weight home, the other clusters' mirrors at 0; broken ones are caught", () => {
    const ts = failoverTrafficSplit('echo', 'chaos', ['west']);
    expect(trafficSplitProblems(ts)).toEqual([]);
    expect(ts.spec).toEqual({ service: 'echo', backends: [{ service: 'echo', weight: 1 }, { service: 'echo-west', weight: 0 }] });
    const unlabelled = { ...ts, metadata: { ...(ts.metadata as object), labels: {} } };
    expect(trafficSplitProblems(unlabelled).join()).toMatch(/controlled-by.*extension ignores it/);
    const badPrimary = { ...ts, metadata: { ...(ts.metadata as object), annotations: { 'failover.linkerd.io/primary-service': 'nope' } } };
    expect(trafficSplitProblems(badPrimary).join()).toMatch(/primary-service.*must name one of the backends/);
    expect(trafficSplitProblems({ ...ts, spec: { service: 'echo', backends: [{ service: 'echo', weight: -1 }] } }).join()).toMatch(/weight must be an integer/);
  });

  it("the TrafficSplit passes linkerd-smi's CRD schema, which the checks above are at least as strict as", () => {
    const crd = JSON.parse(readFileSync(new URL('../fixtures/smi-trafficsplit-v1alpha2.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const validate = new Ajv({ strict: false, allErrors: true }).compile(crd);
    expect(validate(failoverTrafficSplit('echo', 'chaos', ['west', 'south'])), JSON.stringify(validate.errors)).toBe(true);
    // What the schema refuses, the checks refuse too.
    for (const spec of [{ backends: [{ service: 'echo', weight: 1 }] }, { service: 'echo', backends: [{ service: 'echo' }] }, { service: 'echo', backends: [{ service: 'echo', weight: 'all' }] }]) {
      const broken = { ...failoverTrafficSplit('echo', 'chaos', ['west']), spec };
      expect(validate(broken)).toBe(false);
      expect(trafficSplitProblems(broken)).not.toEqual([]);
    }
  });

  it('multicluster install declares one service-mirror controller per Link, gateway-less for pod-to-pod', () => {
    expect(multiclusterInstallArgs(['west'], false)).toEqual(['multicluster', 'install', '--gateway=false', '--set', 'controllers[0].link.ref.name=west', '--set', 'controllers[0].gateway.enabled=false']);
    expect(multiclusterInstallArgs(['a', 'b'], true)).toEqual(['multicluster', 'install', '--set', 'controllers[0].link.ref.name=a', '--set', 'controllers[1].link.ref.name=b']);
  });

  it("routes every node to every other cluster's pod CIDRs, never its own", () => {
    const nets = new Map([
      ['e1', ['10.10.0.0/24', '172.18.0.2']],
      ['e2', ['10.10.1.0/24', '172.18.0.3']],
      ['w1', ['10.11.0.0/24', '172.18.0.4']],
    ]);
    const routes = podRoutes([{ name: 'east', nodes: ['e1', 'e2'] }, { name: 'west', nodes: ['w1'] }], nets);
    expect(routes).toEqual([
      { node: 'e1', cidr: '10.11.0.0/24', via: '172.18.0.4' },
      { node: 'e2', cidr: '10.11.0.0/24', via: '172.18.0.4' },
      { node: 'w1', cidr: '10.10.0.0/24', via: '172.18.0.2' },
      { node: 'w1', cidr: '10.10.1.0/24', via: '172.18.0.3' },
    ]);
  });

  it('reads the CLI version and fits it to the pin (same channel, not older)', () => {
    expect(parseLinkerdVersion('edge-25.4.4\n')).toBe('edge-25.4.4');
    expect(parseLinkerdVersion('Client version: edge-25.10.2')).toBe('edge-25.10.2');
    expect(parseLinkerdVersion('command not found')).toBeNull();
    expect(linkerdVersionFits('edge-25.4.4', 'edge-25.4.4')).toBe(true);
    expect(linkerdVersionFits('edge-25.10.1', 'edge-25.4.4')).toBe(true);
    expect(linkerdVersionFits('edge-25.4.3', 'edge-25.4.4')).toBe(false);
    expect(linkerdVersionFits('edge-24.11.8', 'edge-25.4.4')).toBe(false);
    expect(linkerdVersionFits('stable-2.14.10', 'edge-25.4.4')).toBe(false);
  });

  it('one shape per mesh and context: which expectations, gateways, pod routes', () => {
    const one = { multiCluster: false, linkerdMode: 'federated' as const };
    const many = { multiCluster: true, linkerdMode: 'federated' as const };
    const ext = { multiCluster: true, linkerdMode: 'failover-extension' as const };
    expect(dataPlaneShape('istio', one)).toEqual({ key: 'istio', gateways: false, podToPod: false });
    expect(dataPlaneShape('istio', many)).toEqual({ key: 'istio', gateways: true, podToPod: false });
    expect(dataPlaneShape('linkerd', one)).toEqual({ key: 'linkerd', gateways: false, podToPod: false });
    expect(dataPlaneShape('linkerd', many)).toEqual({ key: 'linkerd', gateways: false, podToPod: true });
    expect(dataPlaneShape('linkerd', ext)).toEqual({ key: 'linkerd-failover-extension', gateways: true, podToPod: false });
    // The extension on one cluster has nothing to fail over to: it is plain Linkerd.
    expect(dataPlaneShape('linkerd', { ...ext, multiCluster: false }).key).toBe('linkerd');
    expect(dataPlaneShape('none', many)).toEqual({ key: 'none', gateways: false, podToPod: false });
  });

  it('lists what Linkerd cannot honour, more across clusters', () => {
    const policy = ex(clusterFailover).policy;
    const one = policyNotInForce('linkerd', policy).map((p) => p.split(' (')[0]);
    expect(one).toEqual([expect.stringMatching(/^failover order us-east-1 → us-west-2/), 'region and subzone preference', 'maxEjectionPercent 100%', 'outlier-detection interval 1000 ms', 'retryRemoteLocalities']);
    const many = policyNotInForce('linkerd', policy, { multiCluster: true, linkerdMode: 'federated' }).join('\n');
    expect(many).toMatch(/federated Service balances over every cluster's ready endpoints/);
    expect(many).toMatch(/preferring the client's own cluster/);
    expect(policyNotInForce('none', policy, { multiCluster: true, linkerdMode: 'federated' }).join('\n')).toMatch(/failover to another cluster/);
  });
});

describe('Linkerd identity (real openssl)', () => {
  it('one ECDSA P-256 trust anchor, an issuer per cluster that verifies against it, key in SEC 1 form', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fh-test-linkerd-id-'));
    try {
      const files = await generateLinkerdIdentity(realExecutor, dir, ['east', 'west'], (p) => mkdirSync(p, { recursive: true, mode: 0o700 }), (p, t) => writeFileSync(p, t));
      for (const cluster of ['east', 'west']) {
        const f = files[cluster]!;
        const verify = await realExecutor.run(['openssl', 'verify', '-CAfile', f.trustAnchor, f.issuerCert]);
        expect(verify.stdout).toContain(': OK');
        const text = (await realExecutor.run(['openssl', 'x509', '-in', f.issuerCert, '-noout', '-text'])).stdout;
        expect(text).toContain(`Subject: CN = ${LINKERD_ISSUER_CN}`);
        expect(text).toContain('ASN1 OID: prime256v1');
        expect(text).toMatch(/CA:TRUE, pathlen:0/);
        expect(text).toContain('ecdsa-with-SHA256');
        expect(readFileSync(f.issuerKey, 'utf8')).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
        const key = (await realExecutor.run(['openssl', 'ec', '-in', f.issuerKey, '-noout', '-text'])).stdout;
        expect(key).toContain('prime256v1');
      }
      expect(files.east!.trustAnchor).toBe(files.west!.trustAnchor);
      // A second call keeps what is there (kept clusters' proxies trust the anchor).
      const anchor = readFileSync(files.east!.trustAnchor, 'utf8');
      await generateLinkerdIdentity(realExecutor, dir, ['east'], () => undefined);
      expect(readFileSync(files.east!.trustAnchor, 'utf8')).toBe(anchor);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--mesh linkerd and --mesh none dry-run plans', () => {
  const complete = (p: string) => {
    for (const step of ['## provision', '## deploy', '## traffic', '## inject', '## revert', '## collect records', '## teardown']) expect(p).toContain(step);
    expect(p).toMatch(/rollout status deployment\/echo-/);
    expect(p).toMatch(/cat \/records\/[\w-]+\.ndjson/);
    expect(p).not.toContain('istioctl');
    expect(p).not.toContain('DestinationRule');
  };

  it.each([['zone-outage', zoneOutage], ['drain-listeners', drainListeners]])('%s with linkerd: install, identity, check, failure accrual; no multicluster in one cluster', async (_, raw) => {
    const p = await plan(raw, 'linkerd');
    complete(p);
    expect(p).toMatch(/linkerd --context kind-fh-c1 install --crds/);
    expect(p).toMatch(/linkerd --context kind-fh-c1 install --identity-trust-anchors-file \S+ca\.crt --identity-issuer-certificate-file \S+issuer\.crt --identity-issuer-key-file \S+issuer\.key/);
    expect(p).toMatch(/linkerd --context kind-fh-c1 check/);
    expect(p).toContain('balancer.linkerd.io/failure-accrual: consecutive');
    expect(p).toContain('linkerd.io/inject: enabled');
    expect(p).not.toContain('linkerd multicluster');
    expect(p).not.toContain('multicluster install');
    // The control plane goes to the infra node before any workload.
    expect(p.indexOf('-n linkerd patch deployment.apps/linkerd-destination')).toBeGreaterThan(0);
    expect(p.indexOf('-n linkerd patch deployment.apps/linkerd-destination')).toBeLessThan(p.indexOf('rollout status deployment/echo-'));
  });

  it('cluster-failover with linkerd: pod routes, multicluster without gateway, links both ways, the federated Service', async () => {
    const p = await plan(clusterFailover, 'linkerd');
    complete(p);
    expect(p).toContain('linkerd --context kind-fh-east multicluster install --gateway=false');
    expect(p).toMatch(/linkerd --context kind-fh-east multicluster link-gen --cluster-name east --gateway=false --api-server-address https:\/\/172\.18\.0\.\d+:6443/);
    expect(p).toMatch(/linkerd --context kind-fh-west multicluster link-gen --cluster-name west/);
    expect(p).toContain('mirror.linkerd.io/federated: member');
    expect(p).toMatch(/docker exec fh-east-worker ip route replace 10\.11\.\d+\.0\/24 via 172\.18\.0\.\d+/);
    expect(p).toContain('get service echo-federated');
    expect(p).toContain('http://echo-federated.chaos.svc.cluster.local:8080/');
    // No gateway: no MetalLB.
    expect(p).not.toContain('metallb');
    // What differs is declared, not left to fail.
    expect(p).toMatch(/# not expected with --mesh linkerd: client\(east-client\)\.failback\.timeMs \(/);
    expect(p).not.toMatch(/# assertion: client\(east-client\)\.failback/);
    // A restarted node gets its routes again after the revert.
    const revert = p.slice(p.indexOf('## revert'));
    expect(revert).toMatch(/docker exec fh-east-worker ip route replace/);
  });

  it('cluster-failover with the failover extension: gateways (MetalLB), helm charts, the TrafficSplit', async () => {
    const p = await plan(clusterFailover, 'linkerd', 'failover-extension');
    complete(p);
    expect(p).toContain('metallb');
    expect(p).toContain('mirror.linkerd.io/exported: "true"');
    expect(p).toMatch(/helm --kube-context kind-fh-east upgrade --install linkerd-failover linkerd-edge\/linkerd-failover --devel/);
    expect(p).toContain('kind: TrafficSplit');
    expect(p).toContain('failover.linkerd.io/controlled-by: linkerd-failover');
    expect(p).not.toContain('--gateway=false');
    expect(p).not.toContain('ip route replace');
  });

  it.each([['zone-outage', zoneOutage], ['drain-listeners', drainListeners], ['cluster-failover', clusterFailover]])('%s with none: PreferSameZone Services, no mesh at all', async (_, raw) => {
    const p = await plan(raw, 'none');
    complete(p);
    expect(p).toContain('trafficDistribution: PreferSameZone');
    expect(p).not.toMatch(/linkerd (--context|install|multicluster)/);
  });

  it('cluster-failover with none: two clusters, each Service on its own; the expectations say east fails', async () => {
    const p = await plan(clusterFailover, 'none');
    expect(p).toMatch(/# not in force with --mesh none: failover to another cluster/);
    expect(p).toContain('# assertion: client(east-client).fault.errorRate >= 95%');
    expect(p).toMatch(/# not expected with --mesh none: client\(east-client\)\.recovery\.timeMs/);
  });
});

describe('meshAssertions', () => {
  it('replace and drop per data plane on kind only; --assert wins over both', async () => {
    const e = ex(clusterFailover);
    const names = (mesh?: string, provider = 'kind') => assertionsFor(e, provider, mesh).map((a) => a.source);
    expect(names('istio')).toContain('client(east-client).failback.timeMs < 120s');
    expect(names('linkerd')).not.toContain('client(east-client).failback.timeMs < 120s');
    expect(names('linkerd')).toContain('client(east-client).recovery.servedBy.region(us-east-1) >= 10%');
    expect(names('none', 'local')).toEqual(e.assertions.map((a) => a.source));
    // The experiment's own entries first, then those derived from what plain Kubernetes lacks (kind-review-2 N5).
    expect(notExpectedFor(e, 'kind', 'none').map((n) => n.metric)).toEqual(['client(east-client).fault.servedBy.region(us-west-2)', 'client(east-client).recovery.timeMs', 'client(east-client).fault.servedBy.region(us-east-1)', 'client(east-client).failback.timeMs']);
    const { applyOverrides } = await import('../../harness/cli/overrides.js');
    const asked = applyOverrides(e, { assert: ['client(east-client).recovery.timeMs < 60s'] } as never);
    expect(notExpectedFor(asked, 'kind', 'none').map((n) => n.metric)).toEqual(['client(east-client).fault.servedBy.region(us-west-2)', 'client(east-client).fault.servedBy.region(us-east-1)', 'client(east-client).failback.timeMs']);
    expect(assertionsFor(asked, 'kind', 'none').map((a) => a.source)).toContain('client(east-client).recovery.timeMs < 60s');
  });

  it('a notExpected naming an unknown client or metric is bad input with its path', () => {
    const raw = { ...clusterFailover, meshAssertions: { none: [{ notExpected: 'client(nobody).recovery.timeMs', why: 'x' }] } };
    expect(() => ex(raw)).toThrow(/meshAssertions\.none\[0\]\.notExpected: .*nobody/);
    const noWhy = { ...clusterFailover, meshAssertions: { linkerd: [{ notExpected: 'client(east-client).recovery.timeMs', why: '' }] } };
    expect(() => ex(noWhy)).toThrow(/meshAssertions\.linkerd\[0\]\.why/);
  });
});
