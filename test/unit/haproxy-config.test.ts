import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../harness/core/experiment.js';
import { renderHaproxyConfig } from '../../harness/mesh/haproxy-config.js';
import { tiersFor } from '../../harness/mesh/sidecar.js';
import drainListeners from '../../experiments/drain-listeners.js';
import regionFailover from '../../experiments/region-failover.js';

function endpointsOf(raw: unknown) {
  const ex = parseExperiment(raw, 'test');
  const endpoints = ex.topology.instances.map((i, n) => ({ instance: i.name, locality: i.locality, host: `198.18.1.${10 + n}`, port: 8080 }));
  return { ex, endpoints, client: ex.topology.clients[0]! };
}

describe('tiersFor', () => {
  it('puts the own subzone first and the rest of the zone second (drain-listeners)', () => {
    const { ex, endpoints, client } = endpointsOf(drainListeners);
    const tiers = tiersFor(client.locality, endpoints, ex.policy);
    expect(tiers.map((t) => [t.tier, t.endpoints.map((e) => e.instance)])).toEqual([
      [0, ['tianjin-svc-1']],
      [1, ['beijing-svc-1', 'shenyang-svc-1']],
    ]);
  });

  it('ranks the failover region above other regions (region-failover)', () => {
    const { ex, endpoints, client } = endpointsOf(regionFailover);
    const tiers = tiersFor(client.locality, endpoints, ex.policy);
    expect(tiers.map((t) => [t.tier, t.endpoints.map((e) => e.locality.region)[0]])).toEqual([
      [0, 'cn-north-4'],
      [3, 'cn-south-1'],
      [4, 'cn-east-3'],
    ]);
  });
});

describe('renderHaproxyConfig', () => {
  const { ex, endpoints, client } = endpointsOf(drainListeners);
  const config = renderHaproxyConfig({ client: client.name, clientLocality: client.locality, endpoints, policy: ex.policy, listen: { host: '127.0.0.1', port: 15001 }, admin: { host: '198.18.1.9', port: 15021 } });

  it('spreads load over tiers with Envoy overprovisioning (140%)', () => {
    expect(config).toContain('http-request set-var(txn.h0) nbsrv(p0),mul(140),div(1)');
    expect(config).toContain('http-request set-var(txn.h1) nbsrv(p1),mul(140),div(2)');
    expect(config).toContain('http-request set-var(txn.c1) var(txn.c0),add(txn.h1)');
    expect(config.indexOf('use_backend p0 if { var(txn.pick),sub(txn.c0) lt 0 }')).toBeLessThan(config.indexOf('use_backend p1 if'));
  });

  it('maps outlier detection and retries to passive observation, the ejection time and redispatch', () => {
    expect(config).toContain('observe layer7 error-limit 1 on-error mark-down');
    // An ejected server whose check passes (gray) returns after two good checks spaced by baseEjectionTime.
    expect(config).toContain('fastinter 2000ms downinter 500ms rise 2');
    expect(config).toContain('retries 2');
    expect(config).toContain('option redispatch 1');
    expect(config).toContain('server tianjin-svc-1 198.18.1.11:8080');
    expect(config).toMatch(/backend no_healthy_upstream\n {2}http-request return status 503/);
  });
});
