import type { FailoverPolicy } from '../core/policy.js';

// The failover policy as Linkerd expresses it. Pure. Linkerd has no locality
// priority list: what it has is zone hints (EndpointSlice hints.forZones, set
// by the Service's trafficDistribution), per-Service failure accrual (its
// circuit breaker), per-Service retries, a per-proxy connect timeout, and
// across clusters either a federated Service (every cluster's endpoints in one
// balancer) or the linkerd-failover extension (a TrafficSplit that moves all
// weight to the mirrored Service when the local one has no ready endpoints).

/** The pinned Linkerd release: 2.18 (federated services, `multicluster link-gen`). */
export const DEFAULT_LINKERD_VERSION = 'edge-25.4.4';

/** How clients in several clusters reach the other cluster's endpoints. */
export const LINKERD_MULTICLUSTER_MODES = ['federated', 'failover-extension'] as const;
export type LinkerdMulticlusterMode = (typeof LINKERD_MULTICLUSTER_MODES)[number];

/** Label that joins a Service to its federated Service in every linked cluster (Linkerd ≥ 2.17). */
export const FEDERATED_LABEL = 'mirror.linkerd.io/federated';
/** Label that exports a Service to linked clusters, mirrored as `<svc>-<link>` ("true": through the gateway). */
export const EXPORTED_LABEL = 'mirror.linkerd.io/exported';
export const FAILOVER_CONTROLLED_BY = 'failover.linkerd.io/controlled-by';
export const FAILOVER_PRIMARY = 'failover.linkerd.io/primary-service';

/** The Service clients call: the federated one across clusters, the plain one in a single cluster or behind a TrafficSplit. */
export function linkerdServiceName(service: string, multiCluster: boolean, mode: LinkerdMulticlusterMode): string {
  return multiCluster && mode === 'federated' ? `${service}-federated` : service;
}

const dur = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`);

/** Linkerd's failure accrual never penalises an endpoint for longer than this unless the policy's base ejection is longer. */
const MAX_PENALTY_MS = 60_000;

/**
 * Annotations on the echo Service: consecutive failure accrual from the
 * outlier-detection settings, retries and a per-try timeout from the retry
 * settings. Linkerd reads both from the Service (2.16+).
 */
export function linkerdServiceAnnotations(policy: FailoverPolicy): Record<string, string> {
  const od = policy.outlierDetection;
  return {
    'balancer.linkerd.io/failure-accrual': 'consecutive',
    'balancer.linkerd.io/failure-accrual-consecutive-max-failures': String(od.consecutiveErrors),
    // The first penalty is Istio's base ejection time; Linkerd backs off from there (Istio grows it linearly).
    'balancer.linkerd.io/failure-accrual-consecutive-min-penalty': dur(od.baseEjectionTime),
    'balancer.linkerd.io/failure-accrual-consecutive-max-penalty': dur(Math.max(od.baseEjectionTime, MAX_PENALTY_MS)),
    ...(policy.retries.attempts > 0
      ? {
          'retry.linkerd.io/http': '5xx',
          'retry.linkerd.io/limit': String(policy.retries.attempts),
          'retry.linkerd.io/timeout': dur(policy.retries.perTryTimeout),
        }
      : {}),
  };
}

/** Annotations on every meshed pod of the namespace: the proxy's connect timeout (Linkerd sets it per proxy, not per Service). */
export function linkerdProxyAnnotations(policy: FailoverPolicy): Record<string, string> {
  return { 'config.linkerd.io/proxy-outbound-connect-timeout': dur(policy.connectTimeout) };
}

/** A Job's pod: the proxy as a native sidecar, so the Job completes while the proxy runs (Linkerd ≥ 2.15). */
export const LINKERD_NATIVE_SIDECAR = { 'config.alpha.linkerd.io/proxy-enable-native-sidecar': 'true' };

/** Labels on the echo Service in each cluster: joined to the federated Service, or exported pod-to-pod for the extension's mirror. */
export function linkerdServiceLabels(multiCluster: boolean, mode: LinkerdMulticlusterMode): Record<string, string> {
  if (!multiCluster) return {};
  // The failover extension watches Endpoints, which only gateway-mode mirrors have.
  return mode === 'federated' ? { [FEDERATED_LABEL]: 'member' } : { [EXPORTED_LABEL]: 'true' };
}

/**
 * The linkerd-failover extension's TrafficSplit in one cluster: all weight on
 * the local Service while it has ready endpoints, else on the mirrors of the
 * other clusters (named `<svc>-<link>`, the link named for the cluster).
 */
export function failoverTrafficSplit(service: string, namespace: string, otherClusters: readonly string[]): Record<string, unknown> {
  return {
    apiVersion: 'split.smi-spec.io/v1alpha2',
    kind: 'TrafficSplit',
    metadata: {
      name: service,
      namespace,
      labels: { [FAILOVER_CONTROLLED_BY]: 'linkerd-failover' },
      annotations: { [FAILOVER_PRIMARY]: service },
    },
    spec: {
      service,
      backends: [{ service, weight: 1 }, ...otherClusters.map((c) => ({ service: `${service}-${c}`, weight: 0 }))],
    },
  };
}

/** What a TrafficSplit must hold, as problems: linkerd-smi's CRD (split.smi-spec.io v1alpha2: spec.service and spec.backends[].service and .weight required, weight a number; here an integer ≥ 0) and the extension's own rules (its label, a primary among the backends). */
export function trafficSplitProblems(ts: Record<string, unknown>): string[] {
  const out: string[] = [];
  const meta = ts.metadata as { name?: unknown; labels?: Record<string, string>; annotations?: Record<string, string> } | undefined;
  const spec = ts.spec as { service?: unknown; backends?: { service?: unknown; weight?: unknown }[] } | undefined;
  if (ts.apiVersion !== 'split.smi-spec.io/v1alpha2' || ts.kind !== 'TrafficSplit') out.push('apiVersion/kind must be split.smi-spec.io/v1alpha2 TrafficSplit');
  if (typeof meta?.name !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(meta.name)) out.push('metadata.name must be a DNS label');
  if (typeof spec?.service !== 'string' || !spec.service) out.push('spec.service is required');
  if (!Array.isArray(spec?.backends) || spec.backends.length === 0) out.push('spec.backends needs at least one backend');
  for (const [i, b] of (spec?.backends ?? []).entries()) {
    if (typeof b.service !== 'string' || !b.service) out.push(`spec.backends[${i}].service is required`);
    if (!Number.isInteger(b.weight) || (b.weight as number) < 0) out.push(`spec.backends[${i}].weight must be an integer ≥ 0`);
  }
  if (meta?.labels?.[FAILOVER_CONTROLLED_BY] !== 'linkerd-failover') out.push(`metadata.labels["${FAILOVER_CONTROLLED_BY}"] must be "linkerd-failover" or the extension ignores it`);
  const primary = meta?.annotations?.[FAILOVER_PRIMARY];
  if (!primary || !spec?.backends?.some((b) => b.service === primary)) out.push(`metadata.annotations["${FAILOVER_PRIMARY}"] must name one of the backends`);
  return out;
}

/** Parts of the failover policy Linkerd does not put in force, each with why. */
export function linkerdNotInForce(policy: FailoverPolicy, multiCluster: boolean, mode: LinkerdMulticlusterMode): string[] {
  const out: string[] = [];
  if (policy.failover.length > 0) {
    out.push(
      `failover order ${policy.failover.map((f) => `${f.from} → ${f.to}`).join(', ')} (Linkerd has no region priority: ${
        multiCluster && mode === 'federated' ? "a federated Service balances over every cluster's ready endpoints by latency" : multiCluster ? 'the failover extension moves all weight to the other clusters at once, when the local Service has no ready endpoint' : 'one cluster, one balancer'
      })`,
    );
  }
  // Zones are in force: the Service's trafficDistribution puts zone hints on its EndpointSlices and Linkerd's
  // destination controller serves a client only its zone's endpoints while that zone has any.
  out.push('region and subzone preference (Linkerd knows zone hints only; beyond the zone its balancer prefers the lowest-latency endpoints)');
  if (multiCluster && mode === 'federated') out.push("preferring the client's own cluster (a federated Service filters only the local cluster's endpoints by zone; every remote endpoint stays in the balancer)");
  out.push(`maxEjectionPercent ${policy.outlierDetection.maxEjectionPercent}% (failure accrual may mark every endpoint failing; requests then fail fast)`);
  out.push(`outlier-detection interval ${policy.outlierDetection.interval} ms (failure accrual counts responses as they arrive: no sweep)`);
  return out;
}

/** `linkerd version --client --short` → `edge-25.4.4` (or a `stable-2.x.y` from a vendor), or null. */
export function parseLinkerdVersion(output: string): string | null {
  const m = /\b((?:edge|stable|enterprise)-\d+\.\d+\.\d+)\b/.exec(output);
  return m ? m[1]! : null;
}

/** Whether an installed Linkerd CLI is at least the pin (same channel; an edge release is year.month.n). */
export function linkerdVersionFits(installed: string, pin: string): boolean {
  const parse = (v: string) => {
    const m = /^(edge|stable|enterprise)-(\d+)\.(\d+)\.(\d+)$/.exec(v);
    return m ? { channel: m[1]!, parts: [Number(m[2]), Number(m[3]), Number(m[4])] } : null;
  };
  const a = parse(installed);
  const b = parse(pin);
  if (!a || !b || a.channel !== b.channel) return false;
  for (let i = 0; i < 3; i++) if (a.parts[i] !== b.parts[i]) return a.parts[i]! > b.parts[i]!;
  return true;
}
