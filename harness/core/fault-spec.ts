import { z } from 'zod';
import { durationSchema } from './duration.js';
import { nameSchema } from './names.js';

// What an experiment asks to break. Providers turn a spec into an injected,
// revertible fault; this file only describes and validates.

/** A locality name, bare or qualified by what contains it ("region/zone", "region/zone/subzone"). */
export const qualifiedNameSchema = (levels: number) =>
  z
    .string()
    .max(130)
    .refine((s) => {
      const parts = s.split('/');
      return parts.length <= levels && parts.every((p) => nameSchema.safeParse(p).success);
    }, { message: `must be a name${levels > 1 ? `, or qualified like ${levels === 2 ? '"region/zone"' : '"region/zone/subzone"'}` : ''} (lowercase DNS labels)` });

export const selectorSchema = z
  .object({
    cluster: nameSchema.optional(),
    region: nameSchema.optional(),
    zone: qualifiedNameSchema(2).optional(),
    subzone: qualifiedNameSchema(3).optional(),
    node: nameSchema.optional(),
    instance: z.string().optional(),
  })
  .strict()
  .refine((s) => Object.values(s).some((v) => v !== undefined), {
    message: 'name at least one of cluster, region, zone, subzone, node, instance',
  });
export type Selector = z.output<typeof selectorSchema>;

/** "50%" or a fraction 0–1 → a fraction. */
const ratioSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const text = typeof value === 'string' ? value.trim() : '';
  const fraction = typeof value === 'number' ? value : /^\d+(\.\d+)?%$/.test(text) ? Number(text.slice(0, -1)) / 100 : Number.NaN;
  if (!(fraction >= 0 && fraction <= 1) || (typeof value === 'number' && value > 1)) {
    ctx.addIssue({ code: 'custom', message: `expected a share from 0% to 100% (like "50%") or a fraction from 0 to 1, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return fraction;
});

/** An HTTP error status the echo answers with. */
const errorStatusSchema = z
  .number({ message: 'expected an HTTP error status (a number from 400 to 599)' })
  .int('expected an HTTP error status (a whole number from 400 to 599)')
  .refine((s) => s >= 400 && s <= 599, { message: 'expected an HTTP error status from 400 to 599 (5xx is what outlier detection counts)' });

/** Injections one experiment may hold (every fault's repeats together): more fall behind their plan on a 2-core machine. */
export const MAX_INJECTIONS = 50;
/** The shortest `repeat.every` kept to plan: an inject and a revert each take tens of ms (a zone outage on netns, ~100 ms). */
export const MIN_REPEAT_EVERY_MS = 200;

export const OUTAGE_MODES = ['kill', 'freeze', 'isolate'] as const;
export type OutageMode = (typeof OUTAGE_MODES)[number];
const modeSchema = z.enum(OUTAGE_MODES).default('kill');

/**
 * When a fault acts, from the start of the fault phase: `at` [0s], held for
 * `duration` [until the fault phase ends], and `repeat` (times, every) for a
 * flapping fault. Checked against the fault phase and the other faults by
 * timelineIssues (core/timeline.ts).
 */
export const timing = {
  at: durationSchema.optional(),
  duration: durationSchema.optional(),
  repeat: z
    .object({ times: z.number().int().min(1).max(MAX_INJECTIONS), every: durationSchema.refine((d) => d >= MIN_REPEAT_EVERY_MS, { message: `at least ${MIN_REPEAT_EVERY_MS} ms: an inject and its revert take tens of ms each, closer repeats fall behind the plan` }) })
    .strict()
    .optional(),
};

export const faultSpecSchema = z.discriminatedUnion('kind', [
  /**
   * `listener`: the echo closes its own listener and every open connection (what the kind provider does).
   * `sidecar`: the instance's server-side Envoy is drained as Istio's locality-failover task drains it
   * (`POST /drain_listeners?inboundonly`): its listener closes, pooled connections to it stay (local provider).
   */
  z.object({ kind: z.literal('drain-listeners'), ...timing, target: selectorSchema, mode: z.enum(['listener', 'sidecar']).default('listener') }).strict(),
  z.object({ kind: z.literal('kill-instance'), ...timing, target: selectorSchema }).strict(),
  z.object({ kind: z.literal('freeze-instance'), ...timing, target: selectorSchema }).strict(),
  /** Gray failure: the instance answers with an error status (from upstream, as the client's sidecar sees it) instead of serving. */
  z.object({ kind: z.literal('http-error'), ...timing, target: selectorSchema, status: errorStatusSchema.default(503), ratio: ratioSchema.default(1).refine((r) => r > 0, { message: 'a ratio of 0 fails no request: the fault would do nothing and the run would "pass" (give a share above 0%)' }) }).strict(),
  /** Gray failure: the instance answers late, delay ± jitter (uniform). */
  z
    .object({ kind: z.literal('latency'), ...timing, target: selectorSchema, delay: durationSchema.refine((d) => d > 0, { message: 'a delay of 0 slows nothing: the fault would do nothing (give a delay above 0s)' }).refine((d) => d <= 60_000, { message: 'at most 60s' }), jitter: durationSchema.default(0) })
    .strict()
    .refine((f) => f.jitter <= f.delay, { message: 'jitter must not exceed delay (the answer would come before the request)', path: ['jitter'] }),
  z
    .object({ kind: z.literal('zone-outage'), ...timing, zone: qualifiedNameSchema(2), region: nameSchema.optional(), cluster: nameSchema.optional(), mode: modeSchema })
    .strict(),
  z.object({ kind: z.literal('region-outage'), ...timing, region: nameSchema, cluster: nameSchema.optional(), mode: modeSchema }).strict(),
  z
    .object({
      kind: z.literal('partition'),
      ...timing,
      /** Two zones (by name, optionally with their region) that stop reaching each other, both ways. */
      between: z.tuple([qualifiedNameSchema(2), qualifiedNameSchema(2)]).refine(([a, b]) => a !== b, { message: 'partition two different zones' }),
      region: nameSchema.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('etcd-member-loss'),
      ...timing,
      /** How many members to take down, or all of them. */
      count: z.union([z.number().int().min(1), z.literal('all')]).default(1),
      /** leader, follower (one that is not the leader), any, or member names. */
      which: z.union([z.enum(['leader', 'follower', 'any']), z.array(nameSchema).min(1)]).default('any'),
      mode: z.enum(['kill', 'freeze']).default('kill'),
    })
    .strict(),
]);

export type FaultSpec = z.output<typeof faultSpecSchema>;
export type FaultSpecInput = z.input<typeof faultSpecSchema>;
export type FaultKind = FaultSpec['kind'];

/** The selector a fault acts on, whatever its shape. */
export function faultSelector(spec: FaultSpec): Selector {
  switch (spec.kind) {
    case 'zone-outage':
      return { zone: spec.zone, region: spec.region, cluster: spec.cluster };
    case 'region-outage':
      return { region: spec.region, cluster: spec.cluster };
    case 'etcd-member-loss':
    case 'partition':
      return {};
    default:
      return spec.target;
  }
}

export function describeSelector(s: Selector): string {
  return Object.entries(s)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** What a fault acts on, for logs and the report ("zone=zone-a", "members=leader×1", "zone-a | zone-b"). */
export function describeFault(spec: FaultSpec): string {
  if (spec.kind === 'partition') return `${spec.between[0]} | ${spec.between[1]}`;
  if (spec.kind === 'etcd-member-loss') return `members=${Array.isArray(spec.which) ? spec.which.join('+') : `${spec.which}×${spec.count}`}`;
  return describeSelector(faultSelector(spec));
}

/**
 * The members an etcd-member-loss takes. `leader` is asked for only when the
 * spec names leader or follower (it is a live lookup); null means none is known.
 */
export async function pickMembers(spec: Extract<FaultSpec, { kind: 'etcd-member-loss' }>, names: readonly string[], leader: () => Promise<string | null>): Promise<string[]> {
  return (await chooseMembers(spec, names, leader)).members;
}

/** pickMembers, with the leader it was told when it asked (null when the spec named no leader or follower): the fault records it. */
export async function chooseMembers(spec: Extract<FaultSpec, { kind: 'etcd-member-loss' }>, names: readonly string[], leader: () => Promise<string | null>): Promise<{ members: string[]; leader: string | null }> {
  if (Array.isArray(spec.which)) return { members: spec.which, leader: null };
  const count = spec.count === 'all' ? names.length : spec.count;
  if (spec.which === 'any') return { members: names.slice(0, count), leader: null };
  const current = await leader();
  if (!current) throw new Error('no etcd leader to choose from: the cluster has none right now');
  const followers = names.filter((n) => n !== current);
  return { members: spec.which === 'leader' ? [current, ...followers].slice(0, count) : followers.slice(0, count), leader: current };
}
