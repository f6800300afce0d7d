import type { AssertionResult, ClientResult, FaultRecord, Journal, Override, PhaseMetrics } from '../core/journal.js';
import { formatLocality } from '../core/locality.js';
import { fmtMs, fmtPct, fmtTime, formatActual } from './format.js';
import { RUN_ENDED_FIRST } from '../analysis/assertions.js';

// The reviewer's first minute: per client, where it was at home, where it was
// served during the fault, how long failover, recovery and failback took
// against their thresholds, and what it cost. Clients the fault never touched
// collapse into one line. Pure: the HTML, Markdown and console renderers all
// read this.

export interface Figure {
  /** null: never happened within the run; undefined: not measured (no fault injected). */
  value: number | null | undefined;
  /** The budget an assertion held this figure to, as written ("< 2.5s"); absent: not asserted. */
  budget?: string;
  passed?: boolean;
  /** The budget came from the command line (--assert), not the experiment. */
  override?: boolean;
  /**
   * No assertion on it failed outright, and one could not be judged: 'window' when the time was looked for in a
   * window shorter than its budget (not seen, not missed), 'other' for any other reason (records incomplete…).
   */
  unverified?: 'window' | 'other';
}

/** Another figure a client (or injection) is judged on: its assertion's value against its threshold, as written. */
export interface JudgedFigure {
  metric: string;
  actual: string;
  budget: string;
  passed: boolean;
  override?: boolean;
}

export interface SummaryRow {
  client: string;
  home: string;
  /** In a run of several injections, the one this row counts from: N of `injection(N)`, and what it did. */
  injection?: { index: number; label: string };
  /** Where its successful requests went during the fault (this injection's window), largest share first. */
  servedDuringFault: { place: string; share: number }[];
  failover: Figure;
  recovery: Figure;
  failback: Figure;
  /** How long the faulted instances kept receiving this client's requests: shown where an assertion budgets it. */
  ejection?: Figure;
  failed: number;
  requests: number;
  longestBlackoutMs: number;
  /** After the revert (to the injection's window end, or over the recovery phase): requests and failures. */
  after?: { requests: number; failed: number };
  /** The other figures this row is judged on, each against its threshold. */
  judged: JudgedFigure[];
  /** What else a reviewer should know of this row ("svc-a-1 still ejected at the end: not re-admitted"). */
  notes?: string[];
  /** Whether every assertion on this row passed; undefined without any. */
  passed?: boolean;
}

export interface ControlPlaneRow {
  writeUnavailableMs: number;
  /** The write-unavailability budget, as written (the headline control-plane figure), with its verdict. */
  writeBudget?: { budget: string; passed: boolean };
  leaderChanges: number;
  /** The leader before the fault and the one after it, by name (null: none known). */
  leaderFrom: string | null;
  leaderTo: string | null;
  leaderElectionMs: number | null;
  lostAcknowledgedWrites: number | null;
  acknowledgedWrites: number;
  passed?: boolean;
}

export interface CapacityRow {
  baselineHeadroom: number;
  worstHeadroom: number;
  predictedOverload: boolean;
  /** What the instances report they shed, and what the clients saw fail, apart (over fault and recovery). */
  shedByInstances: number;
  failedByInstances?: number;
  refusedBySidecar?: number;
  failedUnanswered?: number;
  agrees: boolean;
  judged: JudgedFigure[];
  passed?: boolean;
}

export interface FailoverSummary {
  rows: SummaryRow[];
  /** Clients the fault never touched: no failed request, no new destination. */
  untouched: string[];
  /** Rows are per client and injection (a timeline of several). */
  perInjection: boolean;
  controlPlane?: ControlPlaneRow;
  capacity?: CapacityRow;
  /** No fault was injected (the run ended before it): nothing to summarise but that. */
  notInjected?: boolean;
}

export const NOT_INJECTED = 'No fault was injected (the run ended before it): failover, recovery and failback were not measured.';

const TIMES = { failover: 'failover.timeMs', recovery: 'recovery.timeMs', failback: 'failback.timeMs' } as const;

/** The right-hand side of an assertion as written: "2.5s", "95%", "never". */
export function budgetText(a: AssertionResult): string {
  const i = a.name.lastIndexOf(a.op);
  return `${a.op} ${i >= 0 ? a.name.slice(i + a.op.length).trim() : formatActual(a.expected, a.metric)}`;
}

/** How a figure's assertions were left unjudged, when none of them failed outright. */
function unverifiedKind(held: readonly AssertionResult[]): 'window' | 'other' | undefined {
  if (held.some((a) => !a.passed && !a.unverified)) return undefined;
  const reasons = held.flatMap((a) => (a.unverified ? [a.unverified] : []));
  if (reasons.length === 0) return undefined;
  return reasons.every((r) => r.includes(RUN_ENDED_FIRST)) ? 'window' : 'other';
}

function figure(value: number | null | undefined, held: readonly AssertionResult[]): Figure {
  if (held.length === 0) return { value };
  const unverified = unverifiedKind(held);
  return {
    value,
    budget: held.map(budgetText).join(', '),
    passed: held.every((a) => a.passed),
    ...(held.some((a) => a.override) ? { override: true } : {}),
    ...(unverified ? { unverified } : {}),
  };
}

function judged(a: AssertionResult): JudgedFigure {
  return { metric: a.metric, actual: a.unverified ? `unverified (${a.unverified})` : formatActual(a.actual, a.metric), budget: budgetText(a), passed: a.passed, ...(a.override ? { override: true } : {}) };
}

/** The level the fault moved traffic at: the finest at which the fault window went somewhere the baseline did not. */
function servedLevel(baseline: PhaseMetrics['servedBy'], fault: PhaseMetrics['servedBy']): 'region' | 'zone' | 'subzone' {
  for (const level of ['region', 'zone'] as const) {
    if (Object.keys(fault[level]).some((k) => !(k in baseline[level]))) return level;
  }
  return Object.keys(fault.subzone).some((k) => !(k in baseline.subzone)) ? 'subzone' : 'zone';
}

const moved = (baseline: PhaseMetrics['servedBy'], fault: PhaseMetrics['servedBy']) =>
  (['region', 'zone', 'subzone'] as const).some((level) => Object.keys(fault[level]).some((k) => !(k in baseline[level])));

/** The client sent to an instance a fault acted on before it (a gray fault's client, though retries hid every failure). */
function reachedFaulted(c: ClientResult, faults: readonly FaultRecord[]): boolean {
  const affected = new Set(faults.flatMap((f) => f.affected));
  return Object.keys(c.phases.baseline.servedBy.instance).some((i) => affected.has(i));
}

function placesOf(servedBy: PhaseMetrics['servedBy'], baseline: PhaseMetrics['servedBy']): { place: string; share: number }[] {
  return Object.entries(servedBy[servedLevel(baseline, servedBy)])
    .sort(([, a], [, b]) => b - a)
    .map(([place, share]) => ({ place, share }));
}

/** Faults planned for one instant share a window (analysis/fault-impact.ts): each group is one injection here. */
function injectionGroups(faults: readonly FaultRecord[]): number[][] {
  const groups = new Map<number, number[]>();
  faults.forEach((f, i) => {
    const at = f.plannedAtMs ?? f.injectStartedAtMs;
    (groups.get(at) ?? groups.set(at, []).get(at)!).push(i);
  });
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([, idx]) => idx);
}

const INJECTION_METRIC = /^injection\((\d+)\)\.(.+)$/;

/**
 * Whether a run's figures are per injection: faults planned for more than one
 * instant, each window measured (reports before per-injection impacts had none).
 * Every renderer asks this one question.
 */
export function isPerInjection(j: { faults: readonly FaultRecord[] }): boolean {
  return injectionGroups(j.faults).length > 1 && j.faults.every((f) => f.impact !== undefined);
}

/**
 * The worst recovery of any client × injection that touched it, each from its own injection: null when one
 * never recovered, undefined when none failed a request (or the run is not per injection).
 */
export function worstInjectionRecovery(j: Pick<Journal, 'faults'>): number | null | undefined {
  if (!isPerInjection(j)) return undefined;
  const values = j.faults.flatMap((f) => Object.values(f.impact!).filter((im) => im.failed > 0).map((im) => im.recoveryTimeMs));
  if (values.length === 0) return undefined;
  return values.includes(null) ? null : Math.max(...(values as number[]));
}

/** One command-line change as people read it: `--rate 40 (replaces 20)`. */
export function overrideText(o: Override): string {
  return `${o.option} ${o.value}${o.replaces !== null ? ` (replaces ${o.replaces})` : ' (added)'}`;
}

/** The summary of one run. Pure. */
export function failoverSummary(j: Journal): FailoverSummary {
  if (j.faults.length === 0) return { rows: [], untouched: [], perInjection: false, notInjected: true };
  const groups = injectionGroups(j.faults);
  const perInjection = isPerInjection(j);
  const rows: SummaryRow[] = [];
  const untouched: string[] = [];
  for (const c of j.clients) {
    const mine = j.assertions.filter((a) => a.client === c.name);
    const ejectionHeld = mine.filter((a) => a.metric === 'ejection.timeMs');
    const ejection = ejectionHeld.length > 0 ? { ejection: figure(c.ejectionTimeMs, ejectionHeld) } : {};
    // The sidecar's own view (local runs): a faulted instance it still held ejected when the run ended.
    const affected = new Set(j.faults.flatMap((f) => f.affected));
    const stillOut = [...new Set((j.dataPlane?.sidecars.find((s) => s.client === c.name)?.ejections ?? []).filter((e) => e.until === null && affected.has(e.instance)).map((e) => e.instance))];
    const notes = stillOut.length ? { notes: [`${stillOut.join(', ')} still ejected by the sidecar when the run ended: not re-admitted`] } : {};
    const isTime = (metric: string) => (Object.values(TIMES) as string[]).includes(metric);
    if (!perInjection) {
      const { baseline, fault, recovery } = c.phases;
      const hit = fault.failed > 0 || moved(baseline.servedBy, fault.servedBy) || (reachedFaulted(c, j.faults) && ejectionHeld.length > 0);
      if (!hit && mine.every((a) => a.passed)) {
        untouched.push(c.name);
        continue;
      }
      rows.push({
        client: c.name,
        home: formatLocality(c.locality),
        servedDuringFault: placesOf(fault.servedBy, baseline.servedBy),
        failover: figure(c.timeToFailoverMs, mine.filter((a) => a.metric === TIMES.failover)),
        recovery: figure(c.recoveryTimeMs, mine.filter((a) => a.metric === TIMES.recovery)),
        failback: figure(c.failbackTimeMs, mine.filter((a) => a.metric === TIMES.failback)),
        ...ejection,
        ...notes,
        failed: fault.failed,
        requests: fault.requests,
        longestBlackoutMs: fault.blackoutMs,
        after: { requests: recovery.requests, failed: recovery.failed },
        judged: mine.filter((a) => !isTime(a.metric) && a.metric !== 'ejection.timeMs').map(judged),
        ...(mine.length > 0 ? { passed: mine.every((a) => a.passed) } : {}),
      });
      continue;
    }
    // Several injections: each that touched this client is its own row, its figures from its own window.
    const runLevel = mine.filter((a) => !INJECTION_METRIC.test(a.metric));
    let first = true;
    let any = false;
    for (const group of groups) {
      const index = group[0]!;
      const f = j.faults[index]!;
      const impact = f.impact![c.name];
      if (!impact) continue;
      const held = mine.filter((a) => group.some((n) => a.metric.startsWith(`injection(${n}).`)));
      const metricOf = (a: AssertionResult) => INJECTION_METRIC.exec(a.metric)![2]!;
      const servedBy = impact.servedBy;
      const hit = impact.failed > 0 || impact.timeToFailoverMs !== null || (servedBy !== undefined && moved(c.phases.baseline.servedBy, servedBy));
      if (!hit && held.every((a) => a.passed)) continue;
      any = true;
      const extra = first ? runLevel.filter((a) => a.metric !== 'ejection.timeMs') : [];
      const rowAssertions = [...held, ...extra, ...(first ? ejectionHeld : [])];
      rows.push({
        client: c.name,
        home: formatLocality(c.locality),
        injection: { index, label: `injection(${index}): ${group.map((n) => `${j.faults[n]!.kind} ${j.faults[n]!.target}`).join(' + ')}` },
        servedDuringFault: servedBy ? placesOf(servedBy, c.phases.baseline.servedBy) : [],
        failover: figure(impact.timeToFailoverMs, held.filter((a) => metricOf(a) === TIMES.failover)),
        recovery: figure(impact.recoveryTimeMs, held.filter((a) => metricOf(a) === TIMES.recovery)),
        failback: figure(impact.failbackTimeMs, held.filter((a) => metricOf(a) === TIMES.failback)),
        ...(first ? { ...ejection, ...notes } : {}),
        failed: impact.failed,
        requests: impact.requests,
        longestBlackoutMs: impact.blackoutMs ?? 0,
        ...(impact.after ? { after: impact.after } : {}),
        judged: [...held.filter((a) => !isTime(metricOf(a))), ...extra].map(judged),
        ...(rowAssertions.length > 0 ? { passed: rowAssertions.every((a) => a.passed) } : {}),
      });
      first = false;
    }
    if (!any) {
      if (mine.every((a) => a.passed)) untouched.push(c.name);
      else {
        // Touched by no injection, yet an assertion on it failed: one row, run-level, so the failure is seen.
        rows.push({
          client: c.name,
          home: formatLocality(c.locality),
          servedDuringFault: placesOf(c.phases.fault.servedBy, c.phases.baseline.servedBy),
          failover: { value: c.timeToFailoverMs },
          recovery: { value: c.recoveryTimeMs },
          failback: { value: c.failbackTimeMs },
          failed: c.phases.fault.failed,
          requests: c.phases.fault.requests,
          longestBlackoutMs: c.phases.fault.blackoutMs,
          judged: mine.map(judged),
          passed: false,
        });
      }
    }
  }
  const runLevel = j.assertions.filter((a) => a.client === '');
  const cp = j.controlPlane;
  const cpAssertions = runLevel.filter((a) => a.metric.startsWith('controlPlane.') || a.metric.startsWith('data.'));
  const writeHeld = cpAssertions.filter((a) => a.metric === 'controlPlane.writeUnavailableMs');
  const cap = j.capacity;
  const capAssertions = runLevel.filter((a) => a.metric.startsWith('capacity.'));
  return {
    rows,
    untouched,
    perInjection,
    ...(cp
      ? {
          controlPlane: {
            writeUnavailableMs: cp.writeUnavailableMs,
            ...(writeHeld.length > 0 ? { writeBudget: { budget: writeHeld.map(budgetText).join(', '), passed: writeHeld.every((a) => a.passed) } } : {}),
            leaderChanges: cp.leaderChanges,
            leaderFrom: cp.initialLeader,
            leaderTo: cp.finalLeader,
            leaderElectionMs: cp.leaderElectionMs,
            lostAcknowledgedWrites: cp.lostAcknowledgedWrites,
            acknowledgedWrites: cp.acknowledgedWrites,
            ...(cpAssertions.length > 0 ? { passed: cpAssertions.every((a) => a.passed) } : {}),
          },
        }
      : {}),
    ...(cap
      ? {
          capacity: {
            baselineHeadroom: cap.baselineHeadroom,
            worstHeadroom: cap.worstHeadroom,
            predictedOverload: cap.predictedOverload,
            shedByInstances: cap.shed,
            ...(cap.failedByInstances !== undefined ? { failedByInstances: cap.failedByInstances, refusedBySidecar: cap.refusedBySidecar!, failedUnanswered: cap.failedUnanswered! } : {}),
            agrees: cap.agrees,
            judged: capAssertions.map(judged),
            ...(capAssertions.length > 0 ? { passed: capAssertions.every((a) => a.passed) } : {}),
          },
        }
      : {}),
  };
}

/** The cells every renderer shows for a row, formatted once (HTML escapes them, Markdown and the console print them). */
export function summaryCells(row: SummaryRow): { destination: string; failover: string; recovery: string; failback: string; cost: string; judged: string } {
  const verdict = (f: Figure) => (f.unverified === 'window' ? '✗ unverified: its window ended first' : f.unverified ? '✗ unverified' : f.passed === false ? '✗ MISSED' : '✓');
  const fig = (f: Figure) => `${f.unverified === 'window' && f.value === null ? 'not seen' : fmtTime(f.value)}${f.budget ? ` (budget ${f.budget}${f.override ? ' from --assert' : ''} ${verdict(f)})` : f.value === undefined ? '' : ' (not asserted)'}`;
  const judgedText = [
    ...(row.ejection ? [`ejection ${fig(row.ejection)}`] : []),
    ...row.judged.map((x) => `${x.passed ? '✓' : '✗'} ${x.metric} ${x.actual} (${x.budget}${x.override ? ' from --assert' : ''})`),
    ...(row.notes ?? []),
  ].join(' · ');
  return {
    destination: `${row.home} → ${row.servedDuringFault.slice(0, 3).map((s) => `${s.place} ${fmtPct(s.share)}`).join(', ') || 'nowhere (every request failed)'}`,
    failover: fig(row.failover),
    recovery: fig(row.recovery),
    failback: fig(row.failback),
    cost: `${row.failed}/${row.requests} failed, longest blackout ${fmtMs(row.longestBlackoutMs)}${row.after ? `; after the revert ${row.after.failed}/${row.after.requests} failed` : ''}`,
    judged: judgedText || 'nothing else asserted',
  };
}

/** The capacity line: the prediction, then who failed what, apart. */
export function capacityCells(c: CapacityRow): string {
  const who =
    c.failedByInstances !== undefined
      ? `clients saw ${c.failedByInstances} answered with an error by instances, ${c.refusedBySidecar} refused by the sidecar with no instance answering, ${c.failedUnanswered} unanswered (fault and recovery)`
      : 'what the clients saw fail was not split by who failed it (report written before it was recorded)';
  return `headroom ${c.baselineHeadroom.toFixed(2)}× before, ${c.worstHeadroom.toFixed(2)}× at worst (overload ${c.predictedOverload ? 'predicted' : 'not predicted'}) · instances shed ${c.shedByInstances} · ${who} · prediction ${c.agrees ? 'held' : 'did not hold'}`;
}

export function controlPlaneCells(cp: ControlPlaneRow): string {
  const budget = cp.writeBudget ? ` (budget ${cp.writeBudget.budget} ${cp.writeBudget.passed ? '✓' : '✗ MISSED'})` : ' (not asserted)';
  const leader =
    cp.leaderChanges === 0
      ? `leader ${cp.leaderTo ?? 'unknown'} throughout`
      : `leader ${cp.leaderFrom ?? 'unknown'} → ${cp.leaderTo ?? 'unknown'}${cp.leaderElectionMs !== null ? ` (elected ${fmtMs(cp.leaderElectionMs)} after the fault)` : ''}, ${cp.leaderChanges} change${cp.leaderChanges === 1 ? '' : 's'}`;
  const lost = cp.lostAcknowledgedWrites === null ? 'lost acknowledged writes: not verified' : `${cp.lostAcknowledgedWrites} of ${cp.acknowledgedWrites} acknowledged writes lost`;
  return `writes unavailable ${fmtMs(cp.writeUnavailableMs)}${budget} · ${leader} · ${lost}`;
}

/** How the run was invoked: what the command line changed from the experiment as written, each with what it replaced. */
export function invocationText(j: Journal): string {
  const o = j.settings.overrides;
  if (o === undefined) return 'command-line changes: not recorded (report written before they were)';
  if (o.length === 0) return 'the experiment as written (no command-line changes)';
  return `modified on the command line: ${o.map(overrideText).join('; ')}`;
}
