import { z } from 'zod';
import { durationSchema } from './duration.js';
import { nameSchema } from './names.js';

// One failover policy; each mesh renders it (Envoy as istiod configures it
// locally, Istio and Linkerd objects on kind). Field names follow Istio's
// DestinationRule and VirtualService; what a data plane cannot honour is listed
// before a run (mesh/choice.ts), never dropped.

/** What the harness's VirtualService retries: connection failures, resets and 503s. */
export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,reset,503';

const failoverRuleSchema = z
  .object({ from: nameSchema, to: nameSchema })
  .strict()
  .refine((rule) => rule.from !== rule.to, { message: '`from` and `to` must be different regions' });

/** Labels failoverPriority may name: the topology labels every endpoint and proxy carries (Istio adds them to both). */
export const FAILOVER_PRIORITY_LABELS = ['topology.istio.io/cluster', 'topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone'] as const;

const priorityLabelSchema = z.string().refine((s) => (FAILOVER_PRIORITY_LABELS as readonly string[]).includes(s.split('=')[0]!), {
  message: `expected one of ${FAILOVER_PRIORITY_LABELS.join(', ')}, optionally with "=value" (the value the client's own label is taken to have)`,
});

/** A `distribute` rule: from one locality ("region/zone/subzone", "*" allowed), the share of traffic for each target locality. */
const distributeSchema = z
  .object({ from: z.string().min(1), to: z.record(z.string().min(1), z.number().int().min(1).max(100)) })
  .strict()
  .refine((d) => Object.values(d.to).reduce((a, b) => a + b, 0) === 100, { message: 'the weights of `to` must add up to 100 (Istio refuses anything else)', path: ['to'] });

export const failoverPolicySchema = z
  .object({
    /** Region-to-region failover, like localityLbSetting.failover. */
    failover: z.array(failoverRuleSchema).default([]),
    /** localityLbSetting.failoverPriority: labels whose first mismatch with the client decides an endpoint's priority. */
    failoverPriority: z.array(priorityLabelSchema).default([]),
    /** localityLbSetting.distribute: weighted shares per target locality (instead of failover). */
    distribute: z.array(distributeSchema).default([]),
    outlierDetection: z
      .object({
        /** consecutive5xxErrors: 5xx answers (and, unless split, connect failures and timeouts) in a row that eject an endpoint. */
        consecutiveErrors: z.number().int().min(1).max(100).default(1),
        /** consecutiveGatewayErrors: 502/503/504 (and local-origin failures) in a row that eject an endpoint; off unless set. */
        consecutiveGatewayErrors: z.number().int().min(1).max(100).optional(),
        /** How often ejections are reviewed (un-ejection happens at a review). */
        interval: durationSchema.default(1000),
        /** How long an ejected endpoint stays out, times the number of times it was ejected in a row. */
        baseEjectionTime: durationSchema.default(2000),
        maxEjectionPercent: z.number().int().min(0).max(100).default(100),
        /** minHealthPercent: Envoy's panic threshold; Istio sets 0 (no panic) when outlier detection is given without it. */
        minHealthPercent: z.number().int().min(0).max(100).optional(),
        /** splitExternalLocalOriginErrors: count connect failures and timeouts apart from 5xx answers. */
        splitExternalLocalOriginErrors: z.boolean().default(false),
        /** consecutiveLocalOriginFailures: local-origin failures in a row that eject, with splitExternalLocalOriginErrors. */
        consecutiveLocalOriginFailures: z.number().int().min(1).max(100).optional(),
      })
      .strict()
      .refine((od) => od.consecutiveLocalOriginFailures === undefined || od.splitExternalLocalOriginErrors, {
        message: 'consecutiveLocalOriginFailures needs splitExternalLocalOriginErrors: true (Istio refuses it otherwise)',
        path: ['consecutiveLocalOriginFailures'],
      })
      .default({ consecutiveErrors: 1, interval: 1000, baseEjectionTime: 2000, maxEjectionPercent: 100, splitExternalLocalOriginErrors: false }),
    retries: z
      .object({
        /** Retries after the first try (Envoy's num_retries); 0 turns retries off. */
        attempts: z.number().int().min(0).max(10).default(2),
        perTryTimeout: durationSchema.default(500),
        /** What is retried: Envoy retry_on names and HTTP status codes, comma-separated, as in a VirtualService. */
        retryOn: z
          .string()
          .regex(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, 'expected comma-separated retry conditions without spaces, e.g. "connect-failure,reset,503"')
          .default(DEFAULT_RETRY_ON),
        /** retryRemoteLocalities: a retry prefers a priority not tried yet (Envoy's previous_priorities). */
        retryRemoteLocalities: z.boolean().default(false),
      })
      .strict()
      .default({ attempts: 2, perTryTimeout: 500, retryOn: DEFAULT_RETRY_ON, retryRemoteLocalities: false }),
    connectTimeout: durationSchema.default(250),
    /** The VirtualService's route timeout for a whole request (every try); none when absent, as in Istio. */
    timeout: durationSchema.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.distribute.length > 0 && p.failover.length > 0) ctx.addIssue({ code: 'custom', path: ['distribute'], message: 'distribute and failover exclude each other (Istio refuses both)' });
    const topologyLabel = p.failoverPriority.some((l) => l.startsWith('topology.kubernetes.io/') || l.startsWith('topology.istio.io/subzone'));
    if (p.failover.length > 0 && topologyLabel) ctx.addIssue({ code: 'custom', path: ['failoverPriority'], message: 'failover with a region, zone or subzone label in failoverPriority: Istio refuses the two together' });
  });

export type FailoverPolicyInput = z.input<typeof failoverPolicySchema>;
export type FailoverPolicy = z.output<typeof failoverPolicySchema>;
