import { describe, expect, it } from 'vitest';
import { printKindPlan } from '../../harness/cli/kind-run.js';
import { systemClock } from '../../harness/core/clock.js';
import { parseExperiment } from '../../harness/core/experiment.js';
import { policyNotInForce } from '../../harness/mesh/choice.js';
import { echoService, namespace } from '../../harness/providers/kubernetes/manifests.js';
import drainListeners from '../../experiments/drain-listeners.js';
import regionFailover from '../../experiments/region-failover.js';
import zoneOutage from '../../experiments/zone-outage.js';

// --mesh none on kind: plain Kubernetes Services (trafficDistribution:
// PreferSameZone), no Istio anywhere in the plan, and the policy parts it
// cannot honour listed before anything starts.

async function plan(raw: unknown, mesh: 'istio' | 'none'): Promise<string> {
  const lines: string[] = [];
  await printKindPlan({ experiment: parseExperiment(raw, 'test'), clock: systemClock, keep: false, istioVersion: '1.30', image: 'img', mesh, print: (s) => lines.push(s) });
  return lines.join('\n');
}

describe('--mesh none', () => {
  it.each([['zone-outage', zoneOutage], ['drain-listeners', drainListeners]])('%s: the Service prefers the same zone; no istioctl, no sidecar injection, no DestinationRule', async (_, raw) => {
    const none = await plan(raw, 'none');
    expect(none).toContain('trafficDistribution: PreferSameZone');
    expect(none).toContain('istio-injection: disabled');
    expect(none).not.toContain('istioctl');
    expect(none).not.toContain('DestinationRule');
    expect(none).toMatch(/# not in force with --mesh none: outlier detection/);
    // The same experiment with Istio installs it and renders the policy.
    const istio = await plan(raw, 'istio');
    expect(istio).toContain('istioctl install');
    expect(istio).toContain('DestinationRule');
    expect(istio).not.toContain('trafficDistribution');
  });

  it('lists every policy part plain Kubernetes cannot put in force, and none for Istio', () => {
    const policy = parseExperiment(regionFailover, 'test').policy;
    const parts = policyNotInForce('none', policy);
    expect(parts.map((p) => p.split(' (')[0])).toEqual(['outlier detection', expect.stringMatching(/^failover order cn-north-4 → cn-south-1/), 'region and subzone preference', 'retries']);
    expect(policyNotInForce('istio', policy)).toEqual([]);
  });

  it('renders objects the Kubernetes schema accepts', () => {
    expect((echoService('none').spec as { trafficDistribution?: string }).trafficDistribution).toBe('PreferSameZone');
    expect((echoService('istio').spec as { trafficDistribution?: string }).trafficDistribution).toBeUndefined();
    expect((namespace('none').metadata as { labels: Record<string, string> }).labels['istio-injection']).toBe('disabled');
  });
});
