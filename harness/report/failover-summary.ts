import type { AssertionResult, ClientResult, Journal, PhaseMetrics } from '../core/journal.js';
import { formatLocality } from '../core/locality.js';
import { fmtMs, fmtPct, fmtTime } from './format.js';

// The reviewer's first minute: per client, where it was at home, where it was
// served during the fault, how long failover, recovery and failback took
// against their thresholds, and what it cost. Clients the fault never touched
// collapse into one line. Pure: the HTML, Markdown and console renderers all
// read this.

export interface Figure {
  /** null: never happened within the run; undefined: not measured (no fault injected). */
  value: number | null | undefined;
  /** The threshold an assertion held this figure to, as written ("< 5000"). */
  threshold?: string;
  passed?: boolean;
}

export interface SummaryRow {
  client: string;
  home: string;
  /** Where its successful requests went during the fault, largest share first ("eu-west-1/zone-b 52%"). */
  servedDuringFault: { place: string; share: number }[];
  failover: Figure;
  recovery: Figure;
  failback: Figure;
  failed: number;
  requests: number;
  longestBlackoutMs: number;
  /** Whether every assertion on this client passed; undefined without any. */
  passed?: boolean;
}

export interface ControlPlaneRow {
  writeUnavailableMs: number;
  leaderChanges: number;
  lostAcknowledgedWrites: number | null;
  passed?: boolean;
}

export interface FailoverSummary {
  rows: SummaryRow[];
  /** Clients the fault never touched: no failed request, no new destination. */
  untouched: string[];
  controlPlane?: ControlPlaneRow;
  /** No fault was injected (the run ended before it): nothing to summarise but that. */
  notInjected?: boolean;
}

export const NOT_INJECTED = 'No fault was injected (the run ended before it): failover, recovery and failback were not measured.';

const FIGURE_METRICS = { failover: 'failover.timeMs', recovery: 'recovery.timeMs', failback: 'failback.timeMs' } as const;

function figure(value: number | null | undefined, client: string, metric: string, assertions: readonly AssertionResult[]): Figure {
  const held = assertions.filter((a) => a.client === client && a.metric === metric);
  if (held.length === 0) return { value };
  return { value, threshold: held.map((a) => `${a.op} ${a.expected === null ? 'never' : a.expected}`).join(', '), passed: held.every((a) => a.passed) };
}

/** The level the fault moved traffic at: the finest at which the fault phase went somewhere the baseline did not. */
function servedLevel(baseline: PhaseMetrics, fault: PhaseMetrics): 'region' | 'zone' | 'subzone' {
  for (const level of ['region', 'zone'] as const) {
    if (Object.keys(fault.servedBy[level]).some((k) => !(k in baseline.servedBy[level]))) return level;
  }
  return Object.keys(fault.servedBy.subzone).some((k) => !(k in baseline.servedBy.subzone)) ? 'subzone' : 'zone';
}

function touched(c: ClientResult): boolean {
  const { baseline, fault } = c.phases;
  if (fault.failed > 0) return true;
  return (['region', 'zone', 'subzone'] as const).some((level) => Object.keys(fault.servedBy[level]).some((k) => !(k in baseline.servedBy[level])));
}

export function failoverSummary(j: Journal): FailoverSummary {
  if (j.faults.length === 0) return { rows: [], untouched: [], notInjected: true };
  const rows: SummaryRow[] = [];
  const untouched: string[] = [];
  for (const c of j.clients) {
    const mine = j.assertions.filter((a) => a.client === c.name);
    if (!touched(c) && mine.every((a) => a.passed)) {
      untouched.push(c.name);
      continue;
    }
    const level = servedLevel(c.phases.baseline, c.phases.fault);
    rows.push({
      client: c.name,
      home: formatLocality(c.locality),
      servedDuringFault: Object.entries(c.phases.fault.servedBy[level])
        .sort(([, a], [, b]) => b - a)
        .map(([place, share]) => ({ place, share })),
      failover: figure(c.timeToFailoverMs, c.name, FIGURE_METRICS.failover, j.assertions),
      recovery: figure(c.recoveryTimeMs, c.name, FIGURE_METRICS.recovery, j.assertions),
      failback: figure(c.failbackTimeMs, c.name, FIGURE_METRICS.failback, j.assertions),
      failed: c.phases.fault.failed,
      requests: c.phases.fault.requests,
      longestBlackoutMs: c.phases.fault.blackoutMs,
      ...(mine.length > 0 ? { passed: mine.every((a) => a.passed) } : {}),
    });
  }
  const cp = j.controlPlane;
  const cpAssertions = j.assertions.filter((a) => a.client === '' && (a.metric.startsWith('controlPlane.') || a.metric.startsWith('data.')));
  return {
    rows,
    untouched,
    ...(cp
      ? {
          controlPlane: {
            writeUnavailableMs: cp.writeUnavailableMs,
            leaderChanges: cp.leaderChanges,
            lostAcknowledgedWrites: cp.lostAcknowledgedWrites,
            ...(cpAssertions.length > 0 ? { passed: cpAssertions.every((a) => a.passed) } : {}),
          },
        }
      : {}),
  };
}

/** The cells every renderer shows for a row, formatted once (HTML escapes them, Markdown and the console print them). */
export function summaryCells(row: SummaryRow): { destination: string; failover: string; recovery: string; failback: string; cost: string } {
  const fig = (f: Figure) => `${fmtTime(f.value)}${f.threshold ? ` (budget ${f.threshold.replace(/(\d+)/g, (n) => fmtMs(Number(n)))}${f.passed === false ? ', MISSED' : ''})` : ''}`;
  return {
    destination: `${row.home} → ${row.servedDuringFault.slice(0, 3).map((s) => `${s.place} ${fmtPct(s.share)}`).join(', ') || 'nowhere (every request failed)'}`,
    failover: fig(row.failover),
    recovery: fig(row.recovery),
    failback: fig(row.failback),
    cost: `${row.failed}/${row.requests} failed, longest blackout ${fmtMs(row.longestBlackoutMs)}`,
  };
}

export function controlPlaneCells(cp: ControlPlaneRow): string {
  return `writes unavailable ${fmtMs(cp.writeUnavailableMs)} · ${cp.leaderChanges} leader change${cp.leaderChanges === 1 ? '' : 's'} · lost acknowledged writes: ${cp.lostAcknowledgedWrites ?? 'not verified'}`;
}
