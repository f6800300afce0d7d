import type { Journal } from '../core/journal.js';

export function fmtMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return value < 10_000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
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

export function formatActual(value: number | null, metric: string): string {
  if (value === null) return 'null';
  if (/Ms$|latency/.test(metric)) return `${Math.round(value * 10) / 10} ms`;
  if (/errorRate|locality|servedBy|tier|Availability/.test(metric)) return fmtPct(value);
  if (/readOnly|predictedQuorumLoss/.test(metric)) return value ? 'yes' : 'no';
  return String(value);
}
