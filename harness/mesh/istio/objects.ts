import { DestinationRule, VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1';
import type { FailoverPolicy } from '../../core/policy.js';

// The failover policy as Istio objects. Pure. Validated twice: against Istio's
// published CRD schemas (@kubernetes-models/istio) and against the rules
// Istio's own validation applies that a schema cannot express.

const dur = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`);

export interface IstioObjects {
  destinationRule: Record<string, unknown>;
  virtualService: Record<string, unknown>;
}

export function renderIstio(policy: FailoverPolicy, host: string, namespace: string): IstioObjects {
  const od = policy.outlierDetection;
  const localityLbSetting = {
    enabled: true,
    ...(policy.failover.length ? { failover: policy.failover.map((f) => ({ from: f.from, to: f.to })) } : {}),
    ...(policy.failoverPriority.length ? { failoverPriority: [...policy.failoverPriority] } : {}),
    ...(policy.distribute.length ? { distribute: policy.distribute.map((d) => ({ from: d.from, to: { ...d.to } })) } : {}),
  };
  const destinationRule = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'echo', namespace },
    spec: {
      host,
      trafficPolicy: {
        connectionPool: { tcp: { connectTimeout: dur(policy.connectTimeout) } },
        loadBalancer: { simple: 'ROUND_ROBIN', localityLbSetting },
        // Without outlierDetection Istio does not apply locality failover at all.
        outlierDetection: {
          consecutive5xxErrors: od.consecutiveErrors,
          ...(od.consecutiveGatewayErrors !== undefined ? { consecutiveGatewayErrors: od.consecutiveGatewayErrors } : {}),
          interval: dur(od.interval),
          baseEjectionTime: dur(od.baseEjectionTime),
          maxEjectionPercent: od.maxEjectionPercent,
          ...(od.minHealthPercent !== undefined ? { minHealthPercent: od.minHealthPercent } : {}),
          ...(od.splitExternalLocalOriginErrors ? { splitExternalLocalOriginErrors: true } : {}),
          ...(od.consecutiveLocalOriginFailures !== undefined ? { consecutiveLocalOriginFailures: od.consecutiveLocalOriginFailures } : {}),
        },
      },
    },
  };
  const r = policy.retries;
  const virtualService = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'echo', namespace },
    spec: {
      hosts: [host],
      http: [
        {
          route: [{ destination: { host } }],
          ...(policy.timeout !== undefined ? { timeout: dur(policy.timeout) } : {}),
          // attempts 0 turns retries off; Istio refuses perTryTimeout or retryOn beside it.
          retries: r.attempts > 0 ? { attempts: r.attempts, perTryTimeout: dur(r.perTryTimeout), retryOn: r.retryOn, ...(r.retryRemoteLocalities ? { retryRemoteLocalities: true } : {}) } : { attempts: 0 },
        },
      ],
    },
  };
  return { destinationRule, virtualService };
}

/** Istio's semantic rules for localityLbSetting and outlier detection (pilot/pkg/model validation), as far as we emit them. */
export function istioRuleViolations(dr: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const spec = dr.spec as { trafficPolicy?: { loadBalancer?: { localityLbSetting?: { distribute?: unknown[]; failover?: { from: string; to: string }[]; failoverPriority?: unknown[] } }; outlierDetection?: { maxEjectionPercent?: number } } };
  const tp = spec.trafficPolicy;
  const lb = tp?.loadBalancer?.localityLbSetting;
  if (lb) {
    if (lb.distribute?.length && lb.failover?.length) problems.push('localityLbSetting: distribute and failover are mutually exclusive');
    for (const [i, f] of (lb.failover ?? []).entries()) {
      for (const end of ['from', 'to'] as const) {
        if (f[end].includes('/') || f[end].includes('*')) problems.push(`localityLbSetting.failover[${i}].${end}: must be a region (no "/" or "*"), got "${f[end]}"`);
      }
      if (f.from === f.to) problems.push(`localityLbSetting.failover[${i}]: from and to must differ`);
    }
    if ((lb.failover?.length || lb.failoverPriority?.length) && !tp?.outlierDetection) {
      problems.push('locality failover is set without outlierDetection: Istio ignores it (only a warning)');
    }
  }
  const mep = tp?.outlierDetection?.maxEjectionPercent;
  if (mep !== undefined && (mep < 0 || mep > 100)) problems.push('outlierDetection.maxEjectionPercent must be 0–100');
  return problems;
}

/** Validates against the CRD schema and Istio's rules; throws with every problem. */
export function validateIstio(objects: IstioObjects): void {
  new DestinationRule(objects.destinationRule as ConstructorParameters<typeof DestinationRule>[0]).validate();
  new VirtualService(objects.virtualService as ConstructorParameters<typeof VirtualService>[0]).validate();
  const problems = istioRuleViolations(objects.destinationRule);
  if (problems.length) throw new Error(`invalid DestinationRule: ${problems.join('; ')}`);
}
