import { z } from 'zod';
import { durationSchema } from './duration.js';
import { nameSchema } from './names.js';

// One failover policy; each mesh renders it (HAProxy locally, Istio and Linkerd
// on kind). Field names follow Istio's DestinationRule where one exists.

const failoverRuleSchema = z
  .object({ from: nameSchema, to: nameSchema })
  .strict()
  .refine((rule) => rule.from !== rule.to, { message: '`from` and `to` must be different regions' });

export const failoverPolicySchema = z
  .object({
    /** Region-to-region failover, like localityLbSetting.failover. */
    failover: z.array(failoverRuleSchema).default([]),
    outlierDetection: z
      .object({
        /** Consecutive errors (5xx, connect failures, timeouts) that eject an endpoint. */
        consecutiveErrors: z.number().int().min(1).max(100).default(1),
        /** How often endpoints are checked. */
        interval: durationSchema.default(1000),
        /** How long an ejected endpoint stays out before it is checked for return. */
        baseEjectionTime: durationSchema.default(2000),
        maxEjectionPercent: z.number().int().min(0).max(100).default(100),
      })
      .strict()
      .default({ consecutiveErrors: 1, interval: 1000, baseEjectionTime: 2000, maxEjectionPercent: 100 }),
    retries: z
      .object({
        attempts: z.number().int().min(0).max(10).default(2),
        perTryTimeout: durationSchema.default(500),
      })
      .strict()
      .default({ attempts: 2, perTryTimeout: 500 }),
    connectTimeout: durationSchema.default(250),
  })
  .strict();

export type FailoverPolicyInput = z.input<typeof failoverPolicySchema>;
export type FailoverPolicy = z.output<typeof failoverPolicySchema>;
