import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseExperiment, type ExperimentInput } from '../../harness/core/experiment.js';
import { failoverPolicySchema } from '../../harness/core/policy.js';
import { istioRuleViolations, renderIstio, validateIstio } from '../../harness/mesh/istio/objects.js';
import { kindClusterSchema, renderKindClusters, LABEL_ZONE, LABEL_SUBZONE, LABEL_HASH } from '../../harness/providers/kind/kind-config.js';
import { clientJobs, echoDeployments, validateAll, SERVICE_HOST } from '../../harness/providers/kubernetes/manifests.js';
import { DockerCli } from '../../harness/providers/kind/docker-nodes.js';
import { printKindPlan } from '../../harness/cli/kind-run.js';
import { systemClock } from '../../harness/core/clock.js';
import drainListeners from '../../experiments/drain-listeners.js';
import regionFailover from '../../experiments/region-failover.js';
import etcdMemberLoss from '../../experiments/etcd-member-loss.js';

const ex = (raw: unknown) => parseExperiment(raw, 'test');

describe('kind configs', () => {
  it('renders a worker per topology node with Istio locality labels, and subzones', () => {
    const [c] = renderKindClusters(ex(drainListeners).topology);
    expect(c!.name).toBe('fh-c1');
    expect(c!.config.nodes.map((n) => n.role)).toEqual(['control-plane', 'worker', 'worker', 'worker', 'worker']);
    const tianjin = c!.config.nodes.find((n) => n.labels?.['failover-harness.io/node'] === 'tianjin-svc')!;
    expect(tianjin.labels).toMatchObject({ 'topology.kubernetes.io/region': 'cn-north-4', [LABEL_ZONE]: 'cn-north-4b', [LABEL_SUBZONE]: 'tianjin', [LABEL_HASH]: c!.hash });
    expect(c!.mapping.containerOf['beijing-svc']).toBe('fh-c1-worker');
    expect(c!.mapping.containerOf['tianjin-client']).toBe('fh-c1-worker3');
  });

  it('makes an HA control plane with one control-plane node per etcd member, placed in its zone', () => {
    const [c] = renderKindClusters(ex(etcdMemberLoss).topology);
    const cps = c!.config.nodes.filter((n) => n.role === 'control-plane');
    expect(cps.map((n) => n.labels?.[LABEL_ZONE])).toEqual(['zone-a', 'zone-b', 'zone-c']);
    expect(c!.mapping.containerOf['etcd-b']).toBe('fh-c1-control-plane2');
  });

  it('gives each cluster its own pod and service subnets, and a hash that follows the config', () => {
    const two: ExperimentInput = {
      name: 'x',
      description: 'd',
      topology: {
        clusters: ['east', 'west'].map((name) => ({ name, regions: [{ name: `${name}-r`, zones: [{ name: 'z', nodes: [{ name: `${name}-n`, instances: 1, client: true }] }] }] })),
      },
      faults: [{ kind: 'kill-instance', target: { node: 'east-n' } }],
    };
    const [east, west] = renderKindClusters(ex(two).topology);
    expect(east!.config.networking).toEqual({ podSubnet: '10.10.0.0/16', serviceSubnet: '10.255.10.0/24' });
    expect(west!.config.networking).toEqual({ podSubnet: '10.11.0.0/16', serviceSubnet: '10.255.11.0/24' });
    expect(east!.hash).not.toBe(west!.hash);
    expect(renderKindClusters(ex(two).topology)[0]!.hash).toBe(east!.hash);
  });

  it('validates against the v1alpha4 shape', () => {
    expect(() => kindClusterSchema.parse({ kind: 'Cluster', apiVersion: 'kind.x-k8s.io/v1alpha4', name: 'x', nodes: [{ role: 'worker' }] })).toThrow(/control-plane/);
    expect(() => kindClusterSchema.parse({ kind: 'Cluster', apiVersion: 'kind.x-k8s.io/v1alpha4', name: 'x', nodes: [{ role: 'control-plane', zone: 'a' }] })).toThrow(/zone/);
  });
});

describe('Istio objects', () => {
  it('region-failover: failover from cn-north-4 to cn-south-1, with the outlier detection failover needs', () => {
    const istio = renderIstio(ex(regionFailover).policy, SERVICE_HOST, 'chaos');
    const tp = (istio.destinationRule.spec as { trafficPolicy: Record<string, any> }).trafficPolicy;
    expect(tp.loadBalancer.localityLbSetting).toEqual({ enabled: true, failover: [{ from: 'cn-north-4', to: 'cn-south-1' }] });
    expect(tp.outlierDetection).toEqual({ consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '2s', maxEjectionPercent: 100 });
    expect(() => validateIstio(istio)).not.toThrow();
  });

  it('drain-listeners: locality LB without failover rules (same-region priorities do the work)', () => {
    const istio = renderIstio(ex(drainListeners).policy, SERVICE_HOST, 'chaos');
    const tp = (istio.destinationRule.spec as { trafficPolicy: Record<string, any> }).trafficPolicy;
    expect(tp.loadBalancer.localityLbSetting).toEqual({ enabled: true });
    expect(tp.outlierDetection.maxEjectionPercent).toBe(100);
    expect(() => validateIstio(istio)).not.toThrow();
  });

  it("applies Istio's own rules", () => {
    const dr = (lb: unknown, od?: unknown) => ({ spec: { host: 'h', trafficPolicy: { loadBalancer: { localityLbSetting: lb }, ...(od ? { outlierDetection: od } : {}) } } });
    expect(istioRuleViolations(dr({ failover: [{ from: 'a/b', to: 'c' }] }, {}))).toContain('localityLbSetting.failover[0].from: must be a region (no "/" or "*"), got "a/b"');
    expect(istioRuleViolations(dr({ failover: [{ from: 'a', to: 'a' }] }, {}))).toContain('localityLbSetting.failover[0]: from and to must differ');
    expect(istioRuleViolations(dr({ failover: [{ from: 'a', to: 'b' }] }))).toContain('locality failover is set without outlierDetection: Istio ignores it (only a warning)');
    expect(istioRuleViolations(dr({ failover: [{ from: 'a', to: 'b' }], distribute: [{ from: 'a/*', to: { 'b/*': 100 } }] }, {}))).toContain('localityLbSetting: distribute and failover are mutually exclusive');
  });

  it('rejects what the CRD schema rejects', () => {
    const istio = renderIstio(failoverPolicySchema.parse({}), 'h', 'n');
    ((istio.destinationRule.spec as Record<string, any>).trafficPolicy.outlierDetection as Record<string, unknown>).interval = 5;
    expect(() => validateIstio(istio)).toThrow(/interval must be string/);
  });
});

describe('workload manifests', () => {
  it('pins each instance\'s deployment to its node, names the instance in its identity, and validates', () => {
    const e = ex(drainListeners);
    const deployments = echoDeployments(e, 'c1', 'img');
    expect(deployments).toHaveLength(3); // one instance on each of three nodes
    const spec = (deployments[0]!.spec as any).template.spec;
    expect(spec.nodeSelector).toEqual({ 'failover-harness.io/node': 'beijing-svc' });
    expect(spec.containers[0].args.join(' ')).toContain('"instance":"beijing-svc-1"');
    const jobs = clientJobs(e, 'c1', 'img', { startAt: 0, maxDurationMs: 1000, k6DurationMs: 1000 });
    expect((jobs[0]!.spec as any).template.spec.containers[0].args).toEqual(expect.arrayContaining(['--allow-target', SERVICE_HOST, '--out', '/records/tianjin-client.ndjson', '--stop-file', '/records/stop', '--summary', '/records/summary.json']));
    expect(() => validateAll([...deployments, ...jobs])).not.toThrow();
  });
});

describe('docker argv', () => {
  it('builds fault and revert commands for a node container', () => {
    const d = new DockerCli('unix:///run/x.sock');
    expect(d.act('pause', 'c-worker')).toEqual({ apply: ['docker', '-H', 'unix:///run/x.sock', 'pause', 'c-worker'], revert: ['docker', '-H', 'unix:///run/x.sock', 'unpause', 'c-worker'] });
    expect(d.act('disconnect', 'c-worker', 'kind').revert).toEqual(['docker', '-H', 'unix:///run/x.sock', 'network', 'connect', 'kind', 'c-worker']);
  });
});

describe('--dry-run plans', () => {
  const names = readdirSync(new URL('../../experiments/', import.meta.url)).filter((f) => f.endsWith('.ts'));
  it.each(names)('%s: a complete plan, from cluster creation to deletion', async (file) => {
    const mod = (await import(`../../experiments/${file}`)) as { default: unknown };
    const lines: string[] = [];
    const code = await printKindPlan({ experiment: ex(mod.default), clock: systemClock, keep: false, istioVersion: '1.30.0', image: 'img', print: (s) => lines.push(s) });
    const plan = lines.join('\n');
    expect(code).toBe(0);
    const first = `fh-${ex(mod.default).topology.nodes[0]!.locality.cluster}`;
    for (const step of [`$ kind create cluster --name ${first}`, '$ istioctl install -y', 'kind: DestinationRule', 'outlierDetection:', 'kind: Deployment', 'kind: Job', '## inject', '## revert', `$ kind delete cluster --name ${first}`]) {
      expect(plan).toContain(step);
    }
  });

  it('--keep leaves the clusters', async () => {
    const lines: string[] = [];
    await printKindPlan({ experiment: ex(drainListeners), clock: systemClock, keep: true, istioVersion: '1.30.0', image: 'img', print: (s) => lines.push(s) });
    expect(lines.join('\n')).not.toContain('kind delete cluster');
  });
});

describe('partition rules', () => {
  it('drop both directions between the two sides, on the bridge', async () => {
    const { partitionRules } = await import('../../harness/providers/local/partition.js');
    const node = (name: string, ip: string) => ({ name, ip, locality: { cluster: 'c', region: 'r', zone: 'z', subzone: '' } });
    const rules = partitionRules('fh_x_partition', [node('a1', '198.18.5.10'), node('a2', '198.18.5.11')], [node('b1', '198.18.5.12')]);
    expect(rules).toContain('table bridge fh_x_partition {');
    expect(rules).toContain('type filter hook forward priority 0; policy accept;');
    expect(rules).toContain('ip saddr { 198.18.5.10, 198.18.5.11 } ip daddr { 198.18.5.12 } drop');
    expect(rules).toContain('ip saddr { 198.18.5.12 } ip daddr { 198.18.5.10, 198.18.5.11 } drop');
  });
});

describe('control-plane experiments on kind', () => {
  it('probe the API server, read leadership from each member and take the leader it reports', async () => {
    const lines: string[] = [];
    // etcd-member-loss takes the leader: the plan asks members for their metrics before choosing.
    await printKindPlan({ experiment: ex(etcdMemberLoss), clock: systemClock, keep: false, istioVersion: '1.30.0', image: 'img', print: (s) => lines.push(s) });
    const plan = lines.join('\n');
    expect(plan).toContain("## control-plane probe: 3 etcd members, one stream to each member's own API server (kind-fh-c1 credentials, not kind's load balancer)");
    expect(plan).toContain('name: failover-harness-probe');
    expect(plan).toContain('etcd etcd-b: GET /metrics (etcd_server_is_leader, etcd_server_has_leader) at https://<fh-c1-control-plane2 address>:2379 from this host');
    const inject = plan.slice(plan.indexOf('## inject'), plan.indexOf('## revert'));
    expect(inject.indexOf('GET /metrics')).toBeLessThan(inject.indexOf('pkill -KILL -x etcd'));
    // The run's probe ConfigMaps are deleted before the cluster is.
    expect(plan.indexOf('delete configmaps -l failover-harness.io/run=dryrun')).toBeLessThan(plan.indexOf('kind delete cluster'));
  });
});

describe('multi-cluster mesh on kind', () => {
  it('gives each cluster its own block of load-balancer addresses from the top of the kind network', async () => {
    const { metallbRange } = await import('../../harness/providers/kind/multicluster.js');
    expect(metallbRange('172.18.0.0/16', 0)).toBe('172.18.255.245-172.18.255.254');
    expect(metallbRange('172.18.0.0/16', 1)).toBe('172.18.255.235-172.18.255.244');
    expect(metallbRange('198.18.4.0/24', 0)).toBe('198.18.4.245-198.18.4.254');
    expect(() => metallbRange('10.0.0.0/28', 0)).toThrow(/not an IPv4 CIDR/);
    expect(() => metallbRange('198.18.4.0/26', 3)).toThrow(/too small/);
  });

  it('renders a valid east-west gateway and cross-network Gateway', async () => {
    const { eastWestOperator, crossNetworkGateway, eastWestOperatorSchema } = await import('../../harness/providers/kind/multicluster.js');
    const op = eastWestOperator('east-network');
    expect(op.spec.components.ingressGateways[0]!.label['topology.istio.io/network']).toBe('east-network');
    expect(op.spec.components.ingressGateways[0]!.k8s.env).toEqual([{ name: 'ISTIO_META_REQUESTED_NETWORK_VIEW', value: 'east-network' }]);
    expect(() => eastWestOperatorSchema.parse({ ...op, spec: { ...op.spec, profile: 'demo' } })).toThrow();
    expect(crossNetworkGateway()).toMatchObject({ kind: 'Gateway', spec: { servers: [{ port: { number: 15443 }, tls: { mode: 'AUTO_PASSTHROUGH' }, hosts: ['*.local'] }] } });
  });

  it('the plan: root CA and cacerts before Istio, an east-west gateway per cluster, each cluster discovering the other', async () => {
    const clusterFailover = (await import('../../experiments/cluster-failover.js')).default;
    const lines: string[] = [];
    await printKindPlan({ experiment: ex(clusterFailover), clock: systemClock, keep: false, istioVersion: '1.30.0', image: 'img', print: (s) => lines.push(s) });
    const plan = lines.join('\n');
    const at = (s: string) => {
      const i = plan.indexOf(s);
      expect(i, s).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at('openssl req -x509')).toBeLessThan(at('create secret generic cacerts'));
    expect(at('--context kind-fh-east -n istio-system create secret generic cacerts')).toBeLessThan(at('istioctl install -y --context kind-fh-east -f /'));
    expect(at('metallb-native-v0.14.9.yaml')).toBeLessThan(at('kind: IPAddressPool'));
    // No manifest comes from the internet during a run.
    expect(plan).not.toMatch(/apply -f https?:/);
    // Each istiod has synced the other cluster before any traffic.
    expect(at('istioctl remote-clusters --context kind-fh-east')).toBeLessThan(at('## traffic'));
    // The east-west gateways sit on the infra node like istiod.
    expect(plan).toMatch(/east-west gateway [^\n]*\n(#   .*\n)*#\s+nodeSelector:\n#\s+failover-harness.io\/infra: "true"/);
    expect(plan).toContain('addresses:\n    - 172.18.255.245-172.18.255.254');
    expect(plan).toContain('addresses:\n    - 172.18.255.235-172.18.255.244');
    for (const c of ['east', 'west']) {
      expect(at(`istioctl install -y --context kind-fh-${c} -f /`)).toBeGreaterThan(at(`network: ${c}-network`));
      expect(at(`eastwest-fh-${c}.yaml`)).toBeGreaterThan(at(`istio-fh-${c}.yaml`));
    }
    expect(at('istioctl create-remote-secret --context kind-fh-east --name east')).toBeLessThan(at('## traffic'));
    expect(plan).toMatch(/create-remote-secret --context kind-fh-east[^\n]*\n\$ kubectl --context kind-fh-west apply -f -/);
    expect(plan).toMatch(/create-remote-secret --context kind-fh-west[^\n]*\n\$ kubectl --context kind-fh-east apply -f -/);
    // No key material in the plan: the secret is made from files.
    expect(plan).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY/);
  });
});

describe('kind faults name what they take', () => {
  it('a zone outage names its node containers and the etcd members on them', async () => {
    const { DryRunExecutor } = await import('../../harness/exec/dry-run.js');
    const { KindProvider } = await import('../../harness/providers/kind/provider.js');
    const { Ledger } = await import('../../harness/faults/ledger.js');
    const { ResourceScope } = await import('../../harness/faults/scope.js');
    const { undoAny } = await import('../../harness/providers/undo.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const stateful = (await import('../../experiments/stateful-zone-outage.js')).default;
    const dir = mkdtempSync(join(tmpdir(), 'fh-kind-unit-'));
    const exec = new DryRunExecutor(() => undefined);
    const ledger = new Ledger(join(dir, 'ledger'), 'u');
    const scope = new ResourceScope(ledger, undoAny(exec), systemClock);
    const provider = new KindProvider({ experiment: ex(stateful), runId: 'u', reportDir: dir, exec, clock: systemClock, scope, log: () => undefined, repoRoot: '.', keep: true, istioVersion: '1.30.0', image: 'img', dryRun: true });
    const fault = await provider.inject(ex(stateful).faults[0]!);
    expect(fault.affected).toEqual(['fh-c1-worker', 'fh-c1-control-plane', 'etcd-a']);
    await fault.revert();
    ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('--driver k6 on kind', () => {
  it('ships the k6 script as a ConfigMap, byte for byte, and runs it in grafana/k6 Jobs with the traffic guard', async () => {
    const { readFileSync } = await import('node:fs');
    const { parseAllDocuments } = await import('yaml');
    const zoneOutage = (await import('../../experiments/zone-outage.js')).default;
    const experiment = ex({ ...zoneOutage, traffic: { driver: 'k6' } });
    const lines: string[] = [];
    await printKindPlan({ experiment, clock: systemClock, keep: true, istioVersion: '1.30.0', image: 'img', print: (s) => lines.push(s) });
    const plan = lines.join('\n');
    const traffic = plan.slice(plan.indexOf('## traffic'), plan.indexOf('## inject'));
    const body = traffic.slice(traffic.indexOf("<<'EOF'\n") + 8, traffic.lastIndexOf('\nEOF'));
    const docs = parseAllDocuments(body).map((d) => d.toJSON() as { kind: string; data?: Record<string, string>; spec?: unknown });
    const script = readFileSync(new URL('../../harness/traffic/k6/driver.js', import.meta.url), 'utf8');
    expect(docs[0]!.kind).toBe('ConfigMap');
    expect(docs[0]!.data!['driver.js']).toBe(script);
    const jobs = docs.filter((d) => d.kind === 'Job');
    expect(jobs).toHaveLength(3);
    validateAll(jobs as never);
    const container = (jobs[0] as { spec: { template: { spec: { containers: { image: string; args: string[]; env: { name: string; value: string }[] }[] } } } }).spec.template.spec.containers[0]!;
    expect(container.image).toMatch(/^grafana\/k6:/);
    expect(container.args).toContain('json=/records/k6-samples.ndjson');
    expect(container.args).toContain('--summary-export=/records/summary.json');
    // Loaded into the cluster before the run, never pulled at Job start.
    expect(plan).toMatch(/\$ docker pull grafana\/k6:[\d.]+\n/);
    expect(plan).toContain('$ kind load docker-image grafana/k6:');
    expect(Object.fromEntries(container.env.map((e) => [e.name, e.value]))).toMatchObject({ FH_TARGET: `http://${SERVICE_HOST}:8080/`, FH_ALLOW_TARGET: SERVICE_HOST, FH_RATE: '20' });
  });
});
