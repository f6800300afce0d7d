import type { Locality } from '../core/locality.js';
import type { FailoverPolicy } from '../core/policy.js';
import { OVERPROVISIONING_PERCENT, tiersFor, type Endpoint } from './sidecar.js';

// Renders the failover policy as the configuration of one client's HAProxy
// sidecar. How it maps to Envoy (see docs/local-mesh.md):
// - priority tiers → one backend each; a request picks a tier the way Envoy
//   spreads load over priorities: tier k gets min(100, healthy/total × 140)% of
//   what the better tiers left, so spill-over starts below ~71% healthy.
// - outlier detection → passive `observe layer7` + `error-limit` +
//   `on-error mark-down`; an ejected server returns after two good checks
//   spaced by `fastinter` = baseEjectionTime (see the backend below).
// - retries → `retries` + `retry-on` + `option redispatch` (another server of
//   the same tier, like Envoy's previous_hosts predicate).
// - no healthy endpoint anywhere → 503 "no healthy upstream", as Envoy says.

export interface HaproxyConfigInput {
  client: string;
  clientLocality: Locality;
  endpoints: readonly Endpoint[];
  policy: FailoverPolicy;
  /** Where the client's traffic enters the sidecar. */
  listen: { host: string; port: number };
  /** Readiness (/healthz/ready) and stats (/stats;csv) for the harness. */
  admin: { host: string; port: number };
}

/**
 * Parts of the policy the HAProxy sidecar cannot honour, each with why; the
 * local provider refuses to start with any (never accept and ignore).
 */
export function haproxyRefusals(policy: FailoverPolicy): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  const od = policy.outlierDetection;
  if (od.maxEjectionPercent < 100) {
    out.push({
      field: 'policy.outlierDetection.maxEjectionPercent',
      message: `${od.maxEjectionPercent}% cannot be honoured by the local HAProxy sidecar: passive checks mark each server down on their own and HAProxy has no cap on how many are out at once; use 100 locally (Istio on --provider kind honours it)`,
    });
  }
  return out;
}

const ms = (value: number) => `${Math.max(1, Math.round(value))}ms`;

export function renderHaproxyConfig(input: HaproxyConfigInput): string {
  const { policy } = input;
  const od = policy.outlierDetection;
  const tiers = tiersFor(input.clientLocality, input.endpoints, policy);
  const lines: string[] = [];
  const add = (...more: string[]) => lines.push(...more);

  add(
    `# sidecar of client ${input.client}; rendered by failover-harness, do not edit`,
    'global',
    '  maxconn 4096',
    '',
    'defaults',
    '  mode http',
    `  timeout connect ${ms(policy.connectTimeout)}`,
    '  timeout client 30s',
    `  timeout server ${ms(policy.retries.perTryTimeout)}`,
    `  timeout check ${ms(policy.retries.perTryTimeout)}`,
    `  retries ${policy.retries.attempts}`,
    '  option redispatch 1',
    '',
    'frontend admin',
    `  bind ${input.admin.host}:${input.admin.port}`,
    '  monitor-uri /healthz/ready',
    '  stats enable',
    '  stats uri /stats',
    '',
    'frontend sidecar',
    `  bind ${input.listen.host}:${input.listen.port}`,
    '  http-request set-var(txn.pick) rand(100)',
  );
  tiers.forEach(({ tier, endpoints }, i) => {
    add(`  http-request set-var(txn.h${tier}) nbsrv(p${tier}),mul(${OVERPROVISIONING_PERCENT}),div(${endpoints.length})`);
    const previous = tiers[i - 1];
    add(
      previous
        ? `  http-request set-var(txn.c${tier}) var(txn.c${previous.tier}),add(txn.h${tier})`
        : `  http-request set-var(txn.c${tier}) var(txn.h${tier})`,
    );
  });
  for (const { tier } of tiers) add(`  use_backend p${tier} if { var(txn.pick),sub(txn.c${tier}) lt 0 }`);
  // Health summed over all tiers is below 100%: Envoy would scale the split up;
  // we send the rest to the best tier that still has a healthy endpoint.
  for (const { tier } of tiers) add(`  use_backend p${tier} if { nbsrv(p${tier}) gt 0 }`);
  add('  default_backend no_healthy_upstream', '');

  for (const { tier, endpoints } of tiers) {
    add(
      `backend p${tier}`,
      '  balance roundrobin',
      '  option httpchk GET /healthz',
      '  http-check expect status 200',
      '  retry-on conn-failure empty-response response-timeout',
      // Ejection as Envoy's baseEjectionTime: a server marked down by passive errors whose check
      // still passes (a gray failure) needs two good checks, the first at its next scheduled check
      // (within \`interval\`), the second \`fastinter\` = baseEjectionTime later: out for
      // [base, base + interval], as Envoy un-ejects at its first sweep after the ejection time.
      // A dead server is checked every quarter ejection time while down (downinter). Consecutive
      // errors are counted on requests (error-limit); one failed active check (fall 1) is a dead
      // server, so fastinter (the ejection time) never slows detecting one.
      `  default-server check inter ${ms(od.interval)} fastinter ${ms(od.baseEjectionTime)} downinter ${ms(od.baseEjectionTime / 4)} rise 2 fall 1 observe layer7 error-limit ${od.consecutiveErrors} on-error mark-down`,
      ...endpoints.map((e) => `  server ${e.instance} ${e.host}:${e.port}`),
      '',
    );
  }
  add('backend no_healthy_upstream', '  http-request return status 503 content-type text/plain string "no healthy upstream"', '');
  return lines.join('\n');
}
