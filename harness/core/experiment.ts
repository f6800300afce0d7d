import { z } from 'zod';
import { AssertionSyntaxError, isRunLevel, parseAssertion, type AssertionExpr } from './assertion-expr.js';
import { durationSchema } from './duration.js';
import { UsageError } from './errors.js';
import { faultSelector, faultSpecSchema, describeSelector, type FaultSpec, type Selector } from './fault-spec.js';
import { failoverPolicySchema } from './policy.js';
import { flattenTopology, topologySchema, type Instance, type Topology } from './topology.js';
import { nameSchema } from './names.js';

// The experiment definition: the same schema for TypeScript modules
// (experiments/*.ts) and YAML files given by path.

export const experimentSchema = z
  .object({
    name: nameSchema,
    description: z.string().min(1),
    /** What the experiment verifies, in a sentence or two; shown in --list and reports. */
    verifies: z.string().optional(),
    topology: topologySchema,
    policy: failoverPolicySchema.default(failoverPolicySchema.parse({})),
    traffic: z
      .object({
        /** Requests per second from each client (open model, constant arrival rate). */
        rate: z.number().positive('must be a positive number of requests per second').max(2000).default(20),
        /** Client-side timeout of one request. */
        timeout: durationSchema.default(2000),
        /** Who sends the requests: the harness's own driver, or k6 running traffic/k6/driver.js. */
        driver: z.enum(['node', 'k6']).default('node'),
      })
      .strict()
      .default({ rate: 20, timeout: 2000, driver: 'node' }),
    phases: z
      .object({ baseline: durationSchema.default(4000), fault: durationSchema.default(8000), recovery: durationSchema.default(5000) })
      .strict()
      .default({ baseline: 4000, fault: 8000, recovery: 5000 }),
    faults: z.array(faultSpecSchema).min(1, 'an experiment injects at least one fault'),
    assertions: z.array(z.string()).default([]),
    /**
     * Per provider, assertions that replace the one on the same client and
     * metric (or add to them): on kind a failback includes a node booting and
     * pods passing readiness, a write pause the API server's own etcd client.
     */
    providerAssertions: z.object({ kind: z.array(z.string()).optional() }).strict().optional(),
  })
  .strict();

export type ExperimentInput = z.input<typeof experimentSchema>;
type ExperimentParsed = z.output<typeof experimentSchema>;

export interface Experiment extends Omit<ExperimentParsed, 'topology' | 'assertions' | 'providerAssertions'> {
  topology: Topology;
  assertions: AssertionExpr[];
  providerAssertions?: { kind?: AssertionExpr[] };
}

/** Base assertions with `extra` replacing any on the same client and metric. */
export function mergeAssertions(base: readonly AssertionExpr[], extra: readonly AssertionExpr[]): AssertionExpr[] {
  const key = (a: AssertionExpr) => `${a.client ?? '*'}|${a.metricPath}`;
  const replaced = new Set(extra.map(key));
  return [...base.filter((a) => !replaced.has(key(a))), ...extra];
}

/** The assertions a run on `provider` evaluates. */
export function assertionsFor(ex: Experiment, provider: string): AssertionExpr[] {
  const own = provider === 'kind' ? ex.providerAssertions?.kind : undefined;
  return own ? mergeAssertions(ex.assertions, own) : ex.assertions;
}

/** Identity helper giving experiment modules type checking and completion. */
export function defineExperiment(input: ExperimentInput): ExperimentInput {
  return input;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

export function formatIssues(source: string, issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((issue) => `${source}: ${formatPath(issue.path) || '(top level)'}: ${issue.message}`).join('\n');
}

/** Whether something placed on a node (a service instance or an etcd member) matches a selector. */
/** The nodes of a zone, optionally narrowed to a region (zone names may repeat across regions). */
export function nodesInZone<T extends { locality: { zone: string; region: string } }>(nodes: readonly T[], zone: string, region?: string): T[] {
  return nodes.filter((n) => n.locality.zone === zone && (region === undefined || n.locality.region === region));
}

export function matchesSelector(placed: Pick<Instance, 'name' | 'node' | 'locality'>, s: Selector): boolean {
  const l = placed.locality;
  return (
    (s.cluster === undefined || s.cluster === l.cluster) &&
    (s.region === undefined || s.region === l.region) &&
    (s.zone === undefined || s.zone === l.zone) &&
    (s.subzone === undefined || s.subzone === l.subzone) &&
    (s.node === undefined || s.node === placed.node) &&
    (s.instance === undefined || s.instance === placed.name)
  );
}

type Issue = { path: PropertyKey[]; message: string };

function crossCheck(parsed: ExperimentParsed, topology: Topology): Issue[] {
  const issues: Issue[] = [];
  if (topology.clients.length === 0) issues.push({ path: ['topology'], message: 'no node has `client: true`; an experiment needs at least one client' });
  if (topology.instances.length === 0) issues.push({ path: ['topology'], message: 'no node has `instances`; an experiment needs at least one service instance' });
  parsed.policy.failover.forEach((rule, i) => {
    for (const end of ['from', 'to'] as const) {
      if (!topology.regions.includes(rule[end])) {
        issues.push({ path: ['policy', 'failover', i, end], message: `unknown region "${rule[end]}"; regions are ${topology.regions.join(', ')}` });
      }
    }
  });
  const memberNames = topology.members.map((m) => m.name);
  parsed.faults.forEach((fault: FaultSpec, i) => {
    if (fault.kind === 'etcd-member-loss') {
      if (memberNames.length === 0) {
        issues.push({ path: ['faults', i], message: 'etcd-member-loss needs a control plane: add `controlPlane: {members: [...]}` to a cluster' });
        return;
      }
      if (Array.isArray(fault.which)) {
        fault.which.forEach((name, j) => {
          if (!memberNames.includes(name)) issues.push({ path: ['faults', i, 'which', j], message: `unknown member "${name}"; members are ${memberNames.join(', ')}` });
        });
      }
      if (typeof fault.count === 'number' && fault.count > memberNames.length) {
        issues.push({ path: ['faults', i, 'count'], message: `count ${fault.count} is larger than the ${memberNames.length} members of the control plane` });
      }
      if (fault.which === 'follower' && typeof fault.count === 'number' && fault.count > memberNames.length - 1) {
        issues.push({ path: ['faults', i, 'count'], message: `there are only ${memberNames.length - 1} followers` });
      }
      return;
    }
    if (fault.kind === 'partition') {
      fault.between.forEach((zone, j) => {
        if (nodesInZone(topology.nodes, zone, fault.region).length === 0) {
          issues.push({ path: ['faults', i, 'between', j], message: `unknown zone "${zone}"` });
        }
      });
      return;
    }
    const selector = faultSelector(fault);
    const hitsInstance = topology.instances.some((instance) => matchesSelector(instance, selector));
    const isOutage = fault.kind === 'zone-outage' || fault.kind === 'region-outage';
    const hitsMember = isOutage && topology.members.some((m) => matchesSelector(m, selector));
    if (!hitsInstance && !hitsMember) {
      issues.push({ path: ['faults', i], message: `${fault.kind} (${describeSelector(selector)}) matches no service instance${isOutage ? ' or control-plane member' : ''}` });
    }
  });
  const clients = topology.clients.map((c) => c.name);
  const checkAssertion = (text: string, path: PropertyKey[]) => {
    try {
      const expr = parseAssertion(text);
      if (isRunLevel(expr.metric) && topology.members.length === 0) {
        issues.push({ path, message: `${expr.metricPath} needs a control plane: add \`controlPlane: {members: [...]}\` to a cluster` });
      }
      if (expr.client !== undefined && !clients.includes(expr.client)) {
        issues.push({ path, message: `unknown client "${expr.client}"; clients are ${clients.join(', ')}` });
      }
    } catch (error) {
      if (!(error instanceof AssertionSyntaxError)) throw error;
      issues.push({ path, message: error.message });
    }
  };
  parsed.assertions.forEach((text, i) => checkAssertion(text, ['assertions', i]));
  parsed.providerAssertions?.kind?.forEach((text, i) => checkAssertion(text, ['providerAssertions', 'kind', i]));
  return issues;
}

/** Validates raw input (from a module or YAML) into an Experiment, or throws a UsageError naming each bad field. */
export function parseExperiment(raw: unknown, source: string): Experiment {
  const result = experimentSchema.safeParse(raw);
  if (!result.success) throw new UsageError(formatIssues(source, result.error.issues), 'fix the fields named above; see docs/writing-experiments.md');
  const topology = flattenTopology(result.data.topology);
  const issues = crossCheck(result.data, topology);
  if (issues.length > 0) throw new UsageError(formatIssues(source, issues), 'fix the fields named above; see docs/writing-experiments.md');
  const { providerAssertions, ...rest } = result.data;
  return {
    ...rest,
    topology,
    assertions: result.data.assertions.map(parseAssertion),
    ...(providerAssertions?.kind ? { providerAssertions: { kind: providerAssertions.kind.map(parseAssertion) } } : {}),
  };
}
