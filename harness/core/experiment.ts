import { z } from 'zod';
import { AssertionSyntaxError, isRunLevel, parseAssertion, type AssertionExpr } from './assertion-expr.js';
import { durationSchema } from './duration.js';
import { UsageError } from './errors.js';
import { faultSelector, faultSpecSchema, describeSelector, MAX_INJECTIONS, type FaultSpec, type Selector } from './fault-spec.js';
import { failoverPolicySchema } from './policy.js';
import { flattenTopology, topologySchema, type Instance, type Topology } from './topology.js';
import { nameSchema } from './names.js';
import { DEFAULT_ENDPOINT_DELAYS } from './endpoint-delays.js';
import { derivedNotExpected } from './mesh-expectations.js';
import type { Override } from './journal.js';
import { checkName, resolveLocality, splitKey } from './resolve-names.js';
import { expandTimeline, timelineIssues } from './timeline.js';
import { didYouMean } from './suggest.js';

// The experiment definition: the same schema for TypeScript modules
// (experiments/*.ts) and YAML files given by path.

/** The per-client rate the driver holds on this project's 2-core machine by the bench's rule (npm run bench:driver). */
export const MAX_CLIENT_RATE = 10_000;

/** The longest text field (description, an assertion): each is copied into every report. */
export const MAX_TEXT = 2000;

/** The data planes a kind run offers (--mesh), and Linkerd's failover-extension variant, whose behaviour differs from its federated default. */
export const MESH_NAMES = ['istio', 'linkerd', 'linkerd-failover-extension', 'none'] as const;
export type MeshName = (typeof MESH_NAMES)[number];

/** An assertion that replaces the one on its client and metric, or an assertion that does not hold on this data plane and why. */
const meshAssertionSchema = z.union([
  z.string(),
  z.object({ notExpected: z.string().describe('the metric, as in an assertion without operator and value, e.g. client(c).failback.timeMs'), why: z.string().min(1) }).strict(),
]);

/** What a data plane's expectations do to the base assertions. */
export interface MeshExpectations {
  replace: AssertionExpr[];
  notExpected: { expr: AssertionExpr; why: string }[];
}

export const experimentSchema = z
  .object({
    name: nameSchema,
    description: z.string().min(1).max(MAX_TEXT, `at most ${MAX_TEXT} characters (it is copied into every report)`),
    /** What the experiment verifies, in a sentence or two; shown in --list and reports. */
    verifies: z.string().max(MAX_TEXT, `at most ${MAX_TEXT} characters (it is copied into every report)`).optional(),
    topology: topologySchema,
    policy: failoverPolicySchema.default(failoverPolicySchema.parse({})),
    traffic: z
      .object({
        /** Requests per second from each client (open model, constant arrival rate). */
        rate: z.number().positive('must be a positive number of requests per second').max(MAX_CLIENT_RATE, `at most ${MAX_CLIENT_RATE} requests per second per client (what the driver holds: npm run bench:driver)`).default(20),
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
    /**
     * The local provider's modelled control plane: how long Kubernetes takes to
     * change a service's endpoints after each kind of fault (providers/local/endpoint-model.ts,
     * docs/local-mesh.md). Only the local provider reads it; kind has the real thing.
     */
    endpointDelays: z
      .object({
        nodeMonitorGracePeriod: durationSchema.default(DEFAULT_ENDPOINT_DELAYS.nodeMonitorGracePeriod),
        containerExitDetection: durationSchema.default(DEFAULT_ENDPOINT_DELAYS.containerExitDetection),
        readinessFailure: durationSchema.default(DEFAULT_ENDPOINT_DELAYS.readinessFailure),
        readinessSuccess: durationSchema.default(DEFAULT_ENDPOINT_DELAYS.readinessSuccess),
        endpointPropagation: durationSchema.default(DEFAULT_ENDPOINT_DELAYS.endpointPropagation),
      })
      .strict()
      .default({ ...DEFAULT_ENDPOINT_DELAYS }),
    /**
     * The recovery-time metric: recovered once every sliding `window` up to
     * the end of the run has a success ratio of at least `threshold` (docs/metrics.md).
     * --recovery-window and --recovery-threshold override it.
     */
    recovery: z
      .object({ window: durationSchema.default(1000), threshold: z.number().gt(0, 'a success ratio above 0').max(1, 'a success ratio of at most 1').default(1) })
      .strict()
      .default({ window: 1000, threshold: 1 }),
    faults: z.array(faultSpecSchema).min(1, 'an experiment injects at least one fault').max(MAX_INJECTIONS, `at most ${MAX_INJECTIONS} faults (each injected on plan; more fall behind it on a 2-core machine)`),
    assertions: z.array(z.string().max(MAX_TEXT, `at most ${MAX_TEXT} characters`)).max(500, 'at most 500 assertions').default([]),
    /**
     * Per provider, assertions that replace the one on the same client and
     * metric (or add to them): on kind a failback includes a node booting and
     * pods passing readiness, a write pause the API server's own etcd client.
     */
    providerAssertions: z.object({ kind: z.array(z.string()).optional() }).strict().optional(),
    /**
     * On kind, per data plane (--mesh), assertions that replace the one on the
     * same client and metric (after providerAssertions): what a mesh that
     * cannot express part of the policy is expected to do instead.
     */
    meshAssertions: z
      .object(Object.fromEntries(MESH_NAMES.map((m) => [m, z.array(meshAssertionSchema).optional()])) as Record<MeshName, z.ZodOptional<z.ZodArray<typeof meshAssertionSchema>>>)
      .strict()
      .optional(),
  })
  .strict();

export type ExperimentInput = z.input<typeof experimentSchema>;
type ExperimentParsed = z.output<typeof experimentSchema>;

export interface Experiment extends Omit<ExperimentParsed, 'topology' | 'assertions' | 'providerAssertions' | 'meshAssertions'> {
  topology: Topology;
  assertions: AssertionExpr[];
  /** Assertions given on the command line (--assert): held on every data plane, never dropped as not expected. */
  asserted?: AssertionExpr[];
  /** What the command line changed (overrides.ts), for the report: a run so changed is not the experiment's own. */
  overrides?: Override[];
  providerAssertions?: { kind?: AssertionExpr[] };
  meshAssertions?: Partial<Record<MeshName, MeshExpectations>>;
}

/** Base assertions with `extra` replacing any on the same client and metric. */
export function mergeAssertions(base: readonly AssertionExpr[], extra: readonly AssertionExpr[]): AssertionExpr[] {
  // By the resolved metric, so "zone(zone-a)" and "zone(eu-west-1/zone-a)" are the same one.
  const replaced = new Set(extra.map(assertionKey));
  return [...base.filter((a) => !replaced.has(assertionKey(a))), ...extra];
}

/** An assertion's client and resolved metric: what a replacement matches on. */
export function assertionKey(a: AssertionExpr): string {
  return `${a.client ?? '*'}|${JSON.stringify(a.metric)}`;
}

/**
 * What a kind data plane is not held to: the experiment's own notExpected
 * entries, then each remaining base assertion whose metric needs a part of the
 * policy the mesh does not put in force (core/mesh-expectations.ts). A
 * replacement the experiment states for that mesh is never dropped.
 */
function notExpectedExprs(ex: Experiment, provider: string, mesh?: string): { expr: AssertionExpr; why: string }[] {
  if (provider !== 'kind' || !mesh) return [];
  const perMesh = ex.meshAssertions?.[mesh as MeshName];
  const own = perMesh?.notExpected ?? [];
  const stated = new Set([...own.map((n) => assertionKey(n.expr)), ...(perMesh?.replace ?? []).map(assertionKey), ...(ex.asserted ?? []).map(assertionKey)]);
  const kindBase = ex.providerAssertions?.kind ? mergeAssertions(ex.assertions, ex.providerAssertions.kind) : ex.assertions;
  const derived = kindBase
    .filter((a) => !stated.has(assertionKey(a)))
    .flatMap((a) => {
      const why = derivedNotExpected(mesh as MeshName, ex, a);
      return why ? [{ expr: a, why }] : [];
    });
  return [...own, ...derived];
}

/** The assertions a run on `provider` (with data plane `mesh`, on kind) evaluates. */
export function assertionsFor(ex: Experiment, provider: string, mesh?: string): AssertionExpr[] {
  const own = provider === 'kind' ? ex.providerAssertions?.kind : undefined;
  const base = own ? mergeAssertions(ex.assertions, own) : ex.assertions;
  const perMesh = provider === 'kind' && mesh ? ex.meshAssertions?.[mesh as MeshName] : undefined;
  const dropped = new Set(notExpectedExprs(ex, provider, mesh).map((n) => assertionKey(n.expr)));
  return (perMesh ? mergeAssertions(base, perMesh.replace) : base).filter((a) => !dropped.has(assertionKey(a)) || (perMesh?.replace ?? []).includes(a));
}

/** The base assertions a data plane does not hold to, each with why: said before the run and recorded in the report. */
export function notExpectedFor(ex: Experiment, provider: string, mesh?: string): { metric: string; why: string }[] {
  return notExpectedExprs(ex, provider, mesh).map((n) => ({ metric: `${n.expr.client ? `client(${n.expr.client}).` : ''}${n.expr.metricPath}`, why: n.why }));
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
/** The nodes of a zone ("zone" or "region/zone"), optionally narrowed to a region (zone names may repeat across regions). */
export function nodesInZone<T extends { locality: { zone: string; region: string } }>(nodes: readonly T[], zone: string, region?: string): T[] {
  const [r, z] = zone.includes('/') ? zone.split('/') : [region, zone];
  return nodes.filter((n) => n.locality.zone === z && (r === undefined || n.locality.region === r));
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

/**
 * A fault selector with every locality name resolved: qualified names split
 * into region/zone/subzone, bare names checked to be unambiguous, unknown
 * names (localities, nodes, instances, clusters) reported with a guess.
 */
function resolveSelector(s: Selector, t: Topology, path: PropertyKey[], issues: Issue[]): Selector {
  const out: Selector = { ...s };
  const fail = (field: string, message: string) => issues.push({ path: [...path, field], message });
  const clusters = [...new Set(t.nodes.map((n) => n.locality.cluster))];
  if (s.cluster !== undefined) {
    const problem = checkName('cluster', s.cluster, clusters);
    if (problem) fail('cluster', problem);
  }
  if (s.region !== undefined) {
    const r = resolveLocality(t, 'region', s.region);
    if (!r.ok) fail('region', r.message);
  }
  if (s.zone !== undefined) {
    const r = resolveLocality(t, 'zone', s.zone, { region: s.region });
    if (!r.ok) fail('zone', r.message);
    else Object.assign(out, splitKey(r.key));
  }
  if (s.subzone !== undefined) {
    const zone = out.zone !== undefined ? splitKey(out.zone).zone ?? out.zone : undefined;
    const r = resolveLocality(t, 'subzone', s.subzone, { region: out.region, zone });
    if (!r.ok) fail('subzone', r.message);
    else Object.assign(out, splitKey(r.key));
  }
  if (s.node !== undefined) {
    const problem = checkName('node', s.node, t.nodes.map((n) => n.name));
    if (problem) fail('node', problem);
  }
  if (s.instance !== undefined) {
    const problem = checkName('instance', s.instance, t.instances.map((i) => i.name));
    if (problem) fail('instance', problem);
  }
  return out;
}

/** A fault with its locality names resolved (see resolveSelector). */
function resolveFault(fault: FaultSpec, t: Topology, path: PropertyKey[], issues: Issue[]): FaultSpec {
  switch (fault.kind) {
    case 'zone-outage': {
      if (fault.region !== undefined) {
        const region = resolveLocality(t, 'region', fault.region);
        if (!region.ok) issues.push({ path: [...path, 'region'], message: region.message });
      }
      const r = resolveLocality(t, 'zone', fault.zone, { region: fault.region });
      if (!r.ok) {
        issues.push({ path: [...path, 'zone'], message: r.message });
        return fault;
      }
      const { region, zone } = splitKey(r.key);
      return { ...fault, region, zone: zone! };
    }
    case 'region-outage': {
      const r = resolveLocality(t, 'region', fault.region);
      if (!r.ok) issues.push({ path: [...path, 'region'], message: r.message });
      return fault;
    }
    case 'partition': {
      const between = fault.between.map((zone, j) => {
        const r = resolveLocality(t, 'zone', zone, { region: fault.region });
        if (!r.ok) issues.push({ path: [...path, 'between', j], message: r.message });
        return r.ok ? r.key : zone;
      }) as [string, string];
      if (between[0] === between[1]) issues.push({ path: [...path, 'between'], message: `both sides name ${between[0]}: partition two different zones` });
      return { ...fault, between };
    }
    case 'etcd-member-loss':
      return fault;
    default:
      return { ...fault, target: resolveSelector(fault.target, t, [...path, 'target'], issues) };
  }
}

/**
 * An assertion with its names checked against the topology: the client must
 * exist, and a servedBy locality resolves to its qualified key (the key the
 * report uses), or is reported as ambiguous or unknown.
 */
export function resolveAssertion(expr: AssertionExpr, t: Topology): AssertionExpr {
  if (expr.client !== undefined) {
    const problem = checkName('client', expr.client, t.clients.map((c) => c.name));
    if (problem) throw new AssertionSyntaxError(problem);
  }
  if (expr.metric.type !== 'served-by') return expr;
  const { depth, name } = expr.metric;
  if (depth === 'instance') {
    const problem = checkName('instance', name, t.instances.map((i) => i.name));
    if (problem) throw new AssertionSyntaxError(problem);
    return expr;
  }
  const r = resolveLocality(t, depth, name);
  if (!r.ok) throw new AssertionSyntaxError(r.message);
  return { ...expr, metric: { ...expr.metric, name: r.key } };
}

/**
 * What makes a parsed assertion unusable in this experiment: an injection the
 * timeline does not have, a capacity or control-plane metric the topology
 * cannot give. The same checks for the file's assertions and --assert.
 */
export function assertionIssues(expr: AssertionExpr, topology: Topology, injectionCount: number): string[] {
  const out: string[] = [];
  if (expr.metric.type === 'injection' && expr.metric.injection >= injectionCount) {
    out.push(`injection(${expr.metric.injection}) does not exist: the timeline has ${injectionCount} injection${injectionCount === 1 ? '' : 's'}, numbered from 0 in time order`);
  }
  if (expr.metric.type === 'capacity' && topology.instances.some((i) => !i.capacity)) {
    out.push(`${expr.metricPath} needs every node with instances to declare a \`capacity\` (requests per second per instance)`);
  } else if (isRunLevel(expr.metric) && expr.metric.type !== 'capacity' && topology.members.length === 0) {
    out.push(`${expr.metricPath} needs a control plane: add \`controlPlane: {members: [...]}\` to a cluster`);
  }
  return out;
}

function crossCheck(parsed: ExperimentParsed, topology: Topology): { issues: Issue[]; faults: FaultSpec[]; assertions: AssertionExpr[]; kind?: AssertionExpr[]; meshes?: Partial<Record<MeshName, MeshExpectations>> } {
  const issues: Issue[] = [];
  if (topology.clients.length === 0) issues.push({ path: ['topology'], message: 'no node has `client: true`; an experiment needs at least one client' });
  if (topology.instances.length === 0) issues.push({ path: ['topology'], message: 'no node has `instances`; an experiment needs at least one service instance' });
  parsed.policy.failover.forEach((rule, i) => {
    for (const end of ['from', 'to'] as const) {
      if (!topology.regions.includes(rule[end])) {
        issues.push({ path: ['policy', 'failover', i, end], message: `unknown region "${rule[end]}"${didYouMean(rule[end], topology.regions)}; regions are ${topology.regions.join(', ')}` });
      }
    }
  });
  const memberNames = topology.members.map((m) => m.name);
  const faults = parsed.faults.map((raw: FaultSpec, i) => {
    const before = issues.length;
    const fault = resolveFault(raw, topology, ['faults', i], issues);
    if (issues.length > before) return fault;
    if (fault.kind === 'etcd-member-loss') {
      if (memberNames.length === 0) {
        issues.push({ path: ['faults', i], message: 'etcd-member-loss needs a control plane: add `controlPlane: {members: [...]}` to a cluster' });
        return fault;
      }
      if (Array.isArray(fault.which)) {
        fault.which.forEach((name, j) => {
          const problem = checkName('member', name, memberNames);
          if (problem) issues.push({ path: ['faults', i, 'which', j], message: problem });
        });
      }
      if (typeof fault.count === 'number' && fault.count > memberNames.length) {
        issues.push({ path: ['faults', i, 'count'], message: `count ${fault.count} is larger than the ${memberNames.length} members of the control plane` });
      }
      if (fault.which === 'follower' && typeof fault.count === 'number' && fault.count > memberNames.length - 1) {
        issues.push({ path: ['faults', i, 'count'], message: `there are only ${memberNames.length - 1} followers` });
      }
      return fault;
    }
    if (fault.kind === 'partition') return fault;
    const selector = faultSelector(fault);
    const hitsInstance = topology.instances.some((instance) => matchesSelector(instance, selector));
    const isOutage = fault.kind === 'zone-outage' || fault.kind === 'region-outage';
    const hitsMember = isOutage && topology.members.some((m) => matchesSelector(m, selector));
    if (!hitsInstance && !hitsMember) {
      issues.push({ path: ['faults', i], message: `${fault.kind} (${describeSelector(selector)}) matches no service instance${isOutage ? ' or control-plane member' : ''}` });
    }
    return fault;
  });
  const injectionCount = expandTimeline(faults, parsed.phases.fault).length;
  const check = (text: string, path: PropertyKey[]): AssertionExpr | undefined => {
    try {
      const expr = resolveAssertion(parseAssertion(text), topology);
      for (const message of assertionIssues(expr, topology, injectionCount)) issues.push({ path, message });
      return expr;
    } catch (error) {
      if (!(error instanceof AssertionSyntaxError)) throw error;
      issues.push({ path, message: error.message });
      return undefined;
    }
  };
  const assertions = parsed.assertions.map((text, i) => check(text, ['assertions', i])).filter((a): a is AssertionExpr => a !== undefined);
  const kind = parsed.providerAssertions?.kind?.map((text, i) => check(text, ['providerAssertions', 'kind', i])).filter((a): a is AssertionExpr => a !== undefined);
  const meshes: Partial<Record<MeshName, MeshExpectations>> = {};
  for (const [mesh, entries] of Object.entries(parsed.meshAssertions ?? {}) as [MeshName, (string | { notExpected: string; why: string })[] | undefined][]) {
    if (!entries) continue;
    const out: MeshExpectations = { replace: [], notExpected: [] };
    entries.forEach((entry, i) => {
      if (typeof entry === 'string') {
        const expr = check(entry, ['meshAssertions', mesh, i]);
        if (expr) out.replace.push(expr);
        return;
      }
      // The metric is resolved as an assertion's would be, so it names the same client and metric.
      const expr = check(`${entry.notExpected} >= 0`, ['meshAssertions', mesh, i, 'notExpected']);
      if (expr) out.notExpected.push({ expr, why: entry.why });
    });
    meshes[mesh] = out;
  }
  return { issues, faults, assertions, ...(kind ? { kind } : {}), ...(Object.keys(meshes).length ? { meshes } : {}) };
}

/** What each fault acts on, for the timeline's overlap check (instances, members, zones). */
function faultTargets(ex: { topology: Topology; faults: readonly FaultSpec[] }, i: number): string[] {
  const f = ex.faults[i]!;
  if (f.kind === 'etcd-member-loss') return ex.topology.members.map((m) => `member ${m.name}`);
  if (f.kind === 'partition') return f.between.map((z) => `zone ${z}`);
  const selector = faultSelector(f);
  return [...ex.topology.instances.filter((x) => matchesSelector(x, selector)).map((x) => x.name), ...ex.topology.members.filter((m) => matchesSelector(m, selector)).map((m) => `member ${m.name}`)];
}

/**
 * The faults' timeline against the fault phase: exit 2 for a fault past its
 * end, a repeat that overlaps itself, or two faults on one target at once.
 * Run again after command-line overrides (--duration changes the phase).
 */
export function checkTimeline(ex: { topology: Topology; faults: readonly FaultSpec[]; phases: { fault: number } }, source: string): void {
  const issues = timelineIssues(ex.faults, ex.phases.fault, (i) => faultTargets(ex, i));
  if (issues.length > 0) {
    throw new UsageError(issues.map((x) => `${source}: faults[${x.fault}].${x.field}: ${x.message}`).join('\n'), 'see "Timelines" in docs/writing-experiments.md');
  }
}

/** Validates raw input (from a module or YAML) into an Experiment, or throws a UsageError naming each bad field. */
export function parseExperiment(raw: unknown, source: string): Experiment {
  const result = experimentSchema.safeParse(raw);
  if (!result.success) throw new UsageError(formatIssues(source, result.error.issues), 'fix the fields named above; see docs/writing-experiments.md');
  const topology = flattenTopology(result.data.topology);
  const checked = crossCheck(result.data, topology);
  if (checked.issues.length > 0) throw new UsageError(formatIssues(source, checked.issues), 'fix the fields named above; see docs/writing-experiments.md');
  checkTimeline({ topology, faults: checked.faults, phases: result.data.phases }, source);
  const { providerAssertions: _kindTexts, meshAssertions: _meshTexts, ...rest } = result.data;
  return {
    ...rest,
    topology,
    faults: checked.faults,
    assertions: checked.assertions,
    ...(checked.kind ? { providerAssertions: { kind: checked.kind } } : {}),
    ...(checked.meshes ? { meshAssertions: checked.meshes } : {}),
  };
}

/**
 * The experiment file's JSON Schema, generated from `experimentSchema` itself
 * (what a file is checked against), for editors: YAML files get completion and
 * checking with `# yaml-language-server: $schema=…` (docs/writing-experiments.md).
 * Refinements that JSON Schema cannot say (durations past 24 h, timelines that
 * do not fit) are still checked when the file is loaded.
 */
export function experimentJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(experimentSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'failover-harness experiment',
    description: 'An experiment file for npm run experiment (YAML, JSON, or the default export of a .ts module).',
  };
}
