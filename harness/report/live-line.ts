import type { ProbeRecord } from '../probes/record.js';
import type { RequestRecord } from '../traffic/record.js';

/** Where the run is: the phase and how far into it ("[fault 3.0/8.0 s]"), or nothing before traffic. */
export function phaseLabel(phase: { name: string; startedAt: number; durationMs: number } | undefined, now: number): string {
  if (!phase) return '';
  const into = Math.max(0, Math.min(now - phase.startedAt, phase.durationMs)) / 1000;
  return `[${phase.name} ${into.toFixed(1)}/${(phase.durationMs / 1000).toFixed(1)} s]`;
}

/** Control-plane probes of the interval as one line: write and read availability (etcd runs). Pure. */
export function controlPlaneLine(probes: readonly ProbeRecord[]): string | undefined {
  if (probes.length === 0) return undefined;
  const share = (op: ProbeRecord['probe']) => {
    const mine = probes.filter((p) => p.probe === op);
    if (mine.length === 0) return '—';
    return `${Math.round((mine.filter((p) => p.ok).length / mine.length) * 100)}% of ${mine.length}`;
  };
  return `${'control plane'.padEnd(20)} writes ${share('write')}  linearizable reads ${share('read-linearizable')}  serializable reads ${share('read-serializable')}`;
}

/** One console line per client for the last interval: rate, errors and where traffic was served. Pure. */
/** Requests per second over the span their send times cover (n sends span n−1 gaps); the interval when fewer than two. */
export function sendRate(records: readonly RequestRecord[], intervalMs: number): number {
  if (records.length < 2) return (records.length * 1000) / intervalMs;
  let min = Infinity;
  let max = -Infinity;
  for (const r of records) {
    min = Math.min(min, r.sentAt);
    max = Math.max(max, r.sentAt);
  }
  const span = ((max - min) * records.length) / (records.length - 1);
  return span > 0 ? (records.length * 1000) / span : (records.length * 1000) / intervalMs;
}

export function liveLines(records: readonly RequestRecord[], clients: readonly string[], intervalMs: number): string[] {
  return clients.map((client) => {
    const mine = records.filter((r) => r.client === client);
    const failed = mine.filter((r) => r.error !== null).length;
    const zones = new Map<string, number>();
    for (const r of mine) {
      if (r.error !== null) continue;
      const where = r.subzone ? `${r.zone}/${r.subzone}` : (r.zone ?? '?');
      zones.set(where, (zones.get(where) ?? 0) + 1);
    }
    const ok = mine.length - failed;
    const served = [...zones].sort(([, a], [, b]) => b - a).map(([z, n]) => `${z} ${Math.round((n / ok) * 100)}%`).join(', ');
    // Over the time the records cover, by send time: a print interval that began before traffic did (the first),
    // or records answered late, would otherwise misstate it (reviewer-ux-review-2 D7).
    const rps = sendRate(mine, intervalMs);
    return `${client.padEnd(20)} ${rps.toFixed(0).padStart(4)} req/s  ${String(failed).padStart(3)} failed  ${served || '—'}`;
  });
}
