import { AssertionSyntaxError, parseAssertion, type AssertionExpr } from '../core/assertion-expr.js';
import type { Override } from '../core/journal.js';
import { MAX_DURATION_MS, parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { assertionIssues, assertionKey, MAX_CLIENT_RATE, mergeAssertions, resolveAssertion, type Experiment } from '../core/experiment.js';
import { expandTimeline } from '../core/timeline.js';
import { OUTAGE_MODES, type OutageMode } from '../core/fault-spec.js';

// Command-line options that change an experiment, validated with messages that
// name the option.

export interface ExperimentOverrides {
  rate?: string;
  duration?: string;
  baseline?: string;
  recovery?: string;
  timeout?: string;
  driver?: string;
  mode?: string;
  assert?: string[];
}

function duration(option: string, value: string, min = 0): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms < min) {
    throw new UsageError(`expected ${option} to be a duration like 500ms, 5s or 1m${min > 0 ? ` of at least ${min} ms` : ''}, got "${value}"`);
  }
  if (ms > MAX_DURATION_MS) throw new UsageError(`expected ${option} to be at most 24h, got "${value}"`, 'a timer cannot hold a longer wait; run several shorter experiments');
  return ms;
}

/** Adds --assert expressions; one with the same client and metric replaces the experiment's own. */
export { mergeAssertions };

export function applyOverrides(ex: Experiment, o: ExperimentOverrides): Experiment {
  const out: Experiment = { ...ex, traffic: { ...ex.traffic }, phases: { ...ex.phases } };
  const overrides: Override[] = [...(ex.overrides ?? [])];
  // Recorded only when it changes something: `--mode kill` on an experiment that kills is the experiment as written.
  const changed = (option: string, value: string | undefined, replaces: string | null, same: boolean) => {
    if (value !== undefined && !same) overrides.push({ option, value, replaces });
  };
  const ms = (n: number) => `${n}ms`;
  const sameMs = (value: string | undefined, n: number) => value !== undefined && parseDuration(value) === n;
  const modes = [...new Set(ex.faults.filter((f) => f.kind === 'zone-outage' || f.kind === 'region-outage').map((f) => ('mode' in f ? String(f.mode) : '')))];
  changed('--rate', o.rate, String(ex.traffic.rate), Number(o.rate) === ex.traffic.rate);
  changed('--duration', o.duration, ms(ex.phases.fault), sameMs(o.duration, ex.phases.fault));
  changed('--baseline', o.baseline, ms(ex.phases.baseline), sameMs(o.baseline, ex.phases.baseline));
  changed('--recovery', o.recovery, ms(ex.phases.recovery), sameMs(o.recovery, ex.phases.recovery));
  changed('--timeout', o.timeout, ms(ex.traffic.timeout), sameMs(o.timeout, ex.traffic.timeout));
  changed('--driver', o.driver, ex.traffic.driver, o.driver === ex.traffic.driver);
  changed('--mode', o.mode, modes.join(', ') || null, modes.length === 1 && modes[0] === o.mode);
  if (o.rate !== undefined) {
    const rate = Number(o.rate);
    if (!Number.isFinite(rate) || rate <= 0 || rate > MAX_CLIENT_RATE) {
      throw new UsageError(`expected --rate to be a number of requests per second between 0 and ${MAX_CLIENT_RATE} (exclusive of 0), got "${o.rate}"`);
    }
    out.traffic.rate = rate;
  }
  if (o.duration !== undefined) out.phases.fault = duration('--duration', o.duration, 100);
  if (o.baseline !== undefined) out.phases.baseline = duration('--baseline', o.baseline, 100);
  if (o.recovery !== undefined) out.phases.recovery = duration('--recovery', o.recovery, 100);
  if (o.timeout !== undefined) out.traffic.timeout = duration('--timeout', o.timeout, 10);
  if (o.driver !== undefined) {
    if (o.driver !== 'node' && o.driver !== 'k6') throw new UsageError(`expected --driver to be node or k6, got "${o.driver}"`);
    out.traffic.driver = o.driver;
  }
  if (o.mode !== undefined) {
    if (!(OUTAGE_MODES as readonly string[]).includes(o.mode)) throw new UsageError(`expected --mode to be one of ${OUTAGE_MODES.join(', ')}, got "${o.mode}"`);
    const outages = ex.faults.filter((f) => f.kind === 'zone-outage' || f.kind === 'region-outage');
    if (outages.length === 0) throw new UsageError(`--mode applies to zone-outage and region-outage faults; ${ex.name} has none`);
    out.faults = ex.faults.map((f) => (f.kind === 'zone-outage' || f.kind === 'region-outage' ? { ...f, mode: o.mode as OutageMode } : f));
  }
  if (o.assert && o.assert.length > 0) {
    // Checked as the file's own assertions are, against the timeline as overridden (--duration changes it).
    const injectionCount = expandTimeline(out.faults, out.phases.fault).length;
    const extra = o.assert.map((text) => {
      let expr;
      try {
        expr = resolveAssertion(parseAssertion(text), ex.topology);
      } catch (error) {
        if (error instanceof AssertionSyntaxError) throw new UsageError(`--assert "${text}": ${error.message}`);
        throw error;
      }
      const issues = assertionIssues(expr, ex.topology, injectionCount);
      if (issues.length > 0) throw new UsageError(`--assert "${text}": ${issues.join('; ')}`);
      // What it replaces: the experiment's own expression on the same client and metric, wherever it is stated.
      const key = assertionKey(expr);
      const own = [...ex.assertions, ...(ex.providerAssertions?.kind ?? []), ...Object.values(ex.meshAssertions ?? {}).flatMap((m) => m?.replace ?? [])];
      const replaces = own.filter((a) => assertionKey(a) === key).map((a) => a.source);
      const marked: AssertionExpr = { ...expr, override: { replaces: replaces.length ? [...new Set(replaces)].join(' / ') : null } };
      changed('--assert', text, marked.override!.replaces, false);
      return marked;
    });
    out.assertions = mergeAssertions(ex.assertions, extra);
    out.asserted = [...(ex.asserted ?? []), ...extra];
    // What the command line says wins over a provider's budget too.
    if (ex.providerAssertions?.kind) out.providerAssertions = { kind: mergeAssertions(ex.providerAssertions.kind, extra).filter((a) => !extra.includes(a)) };
    if (ex.meshAssertions) {
      const asked = new Set(extra.map(assertionKey));
      out.meshAssertions = Object.fromEntries(
        Object.entries(ex.meshAssertions).map(([mesh, m]) => [mesh, { replace: mergeAssertions(m.replace, extra).filter((a) => !extra.includes(a)), notExpected: m.notExpected.filter((n) => !asked.has(assertionKey(n.expr))) }]),
      );
    }
  }
  if (overrides.length > 0) out.overrides = overrides;
  return out;
}
