import { MAX_INJECTIONS, type FaultSpec } from './fault-spec.js';

// A run's faults as a timeline: each fault's injections (its `at`, its
// `duration`, its `repeat`), as times from the start of the fault phase, and
// the ordered steps the runner interprets. Pure.

export interface Injection {
  /** Index of the fault in the experiment. */
  fault: number;
  /** 0 for the first injection of a fault, then 1, 2… for repeats. */
  repetition: number;
  /** Planned inject and revert, ms from the start of the fault phase. */
  at: number;
  until: number;
}

export type Step = { kind: 'inject' | 'revert'; at: number; injection: number };

interface Timed {
  at?: number;
  duration?: number;
  repeat?: { times: number; every: number };
}

/** Every injection of every fault, in start order. A fault without `duration` is held until the fault phase ends. */
export function expandTimeline(faults: readonly (FaultSpec & Timed)[], faultPhaseMs: number): Injection[] {
  const out: Injection[] = [];
  faults.forEach((f, fault) => {
    const at = f.at ?? 0;
    const times = f.repeat?.times ?? 1;
    for (let repetition = 0; repetition < times; repetition++) {
      const start = at + repetition * (f.repeat?.every ?? 0);
      out.push({ fault, repetition, at: start, until: f.duration === undefined ? faultPhaseMs : start + f.duration });
    }
  });
  return out.sort((a, b) => a.at - b.at || a.fault - b.fault);
}

/**
 * The runner's steps: every inject and revert in time order. At one instant
 * reverts come before injects (a rolling outage hands over cleanly); injects
 * keep the experiment's order and reverts undo it (last injected, first
 * reverted, as a stack).
 */
export function timelineSteps(injections: readonly Injection[]): Step[] {
  const steps: Step[] = injections.flatMap((inj, i) => [
    { kind: 'inject' as const, at: inj.at, injection: i },
    { kind: 'revert' as const, at: inj.until, injection: i },
  ]);
  return steps.sort((a, b) => a.at - b.at || (a.kind !== b.kind ? (a.kind === 'revert' ? -1 : 1) : a.kind === 'inject' ? a.injection - b.injection : b.injection - a.injection));
}

/**
 * What is wrong with a timeline: a fault past the end of the fault phase, a
 * repeat that overlaps itself, two faults acting on the same target at once
 * (the revert of one would undo the other). `targets(i)` names what fault i
 * acts on (instances, nodes, members). Each problem with its fault's index.
 */
export function timelineIssues(faults: readonly (FaultSpec & Timed)[], faultPhaseMs: number, targets: (fault: number) => readonly string[]): { fault: number; field: string; message: string }[] {
  const issues: { fault: number; field: string; message: string }[] = [];
  const s = (ms: number) => `${ms / 1000}s`;
  faults.forEach((f, i) => {
    if (f.repeat && f.duration === undefined) issues.push({ fault: i, field: 'duration', message: 'a repeated fault needs a `duration` (how long each injection lasts)' });
    if (f.repeat && f.duration !== undefined && f.duration >= f.repeat.every) {
      issues.push({ fault: i, field: 'repeat.every', message: `each injection lasts ${s(f.duration)} but they start every ${s(f.repeat.every)}: the repeats would overlap (make every longer than duration)` });
    }
    if (f.duration === 0) issues.push({ fault: i, field: 'duration', message: 'a fault lasts more than 0s' });
  });
  const injections = expandTimeline(faults, faultPhaseMs);
  if (injections.length > MAX_INJECTIONS) {
    issues.push({ fault: faults.length - 1, field: 'repeat', message: `the timeline has ${injections.length} injections (every fault's repeats together); at most ${MAX_INJECTIONS} keep to plan here: split it into several experiments` });
  }
  for (const inj of injections) {
    if (inj.at >= faultPhaseMs || inj.until > faultPhaseMs) {
      const what = inj.repetition > 0 ? `repeat ${inj.repetition + 1} runs` : 'it runs';
      issues.push({ fault: inj.fault, field: inj.repetition > 0 ? 'repeat' : inj.until > faultPhaseMs && inj.at < faultPhaseMs ? 'duration' : 'at', message: `${what} from ${s(inj.at)} to ${s(inj.until)}, past the end of the ${s(faultPhaseMs)} fault phase (lengthen phases.fault, or move it)` });
    }
  }
  for (let a = 0; a < injections.length; a++) {
    for (let b = a + 1; b < injections.length; b++) {
      const x = injections[a]!;
      const y = injections[b]!;
      if (x.fault === y.fault || !(x.at < y.until && y.at < x.until)) continue;
      const shared = targets(x.fault).filter((t) => targets(y.fault).includes(t));
      if (shared.length > 0) {
        issues.push({ fault: y.fault, field: 'at', message: `overlaps faults[${x.fault}] on ${shared.slice(0, 3).join(', ')} from ${s(Math.max(x.at, y.at))} to ${s(Math.min(x.until, y.until))}: one revert would undo the other (move it, or shorten one)` });
      }
    }
  }
  return issues.filter((issue, i, all) => all.findIndex((o) => o.fault === issue.fault && o.message === issue.message) === i);
}

/**
 * t_f of the phase from the injections' records: when the last inject action
 * of the timeline's first instant completed (all of them, for faults injected
 * together). Null before any injection.
 */
export function phaseInjectedAt(records: readonly { plannedAtMs?: number; injectStartedAtMs: number; injectedAtMs: number }[]): number | null {
  if (records.length === 0) return null;
  const planned = (r: (typeof records)[number]) => r.plannedAtMs ?? r.injectStartedAtMs;
  const first = Math.min(...records.map(planned));
  return Math.max(...records.filter((r) => planned(r) === first).map((r) => r.injectedAtMs));
}
