import type { Journal } from '../core/journal.js';

export function fmtMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return value < 10_000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

/** A time figure: "never" when the event did not happen within the run, "not measured" when there was nothing to measure. */
export function fmtTime(value: number | null | undefined): string {
  if (value === undefined) return 'not measured';
  if (value === null) return 'never';
  return fmtMs(value);
}

export function fmtPct(value: number): string {
  return `${(value * 100).toFixed(value === 0 || value === 1 ? 0 : 1)}%`;
}

/** Offset of an epoch-ms instant from the start of traffic, as "+12.3 s". */
export function relative(journal: Journal, at: number | null): string {
  const t0 = journal.clients[0]?.phases.baseline.start;
  if (at === null || t0 === undefined) return '—';
  return `+${((at - t0) / 1000).toFixed(2)} s`;
}

/**
 * A figure for people: null is the event that never happened ("never" for a
 * time, "none" otherwise), undefined a figure not measured; never the words
 * null, undefined or NaN.
 */
export function formatActual(value: number | null | undefined, metric: string): string {
  if (value === undefined || Number.isNaN(value)) return 'not measured';
  if (value === null) return /Ms$/.test(metric) ? 'never' : 'none';
  if (/Ms$|latency/.test(metric)) return `${Math.round(value * 10) / 10} ms`;
  if (/errorRate|locality|servedBy|tier|Availability/.test(metric)) return fmtPct(value);
  if (/readOnly|predictedQuorumLoss/.test(metric)) return value ? 'yes' : 'no';
  return String(value);
}
