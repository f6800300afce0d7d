import type { RequestRecord } from '../traffic/record.js';

/** One console line per client for the last interval: rate, errors and where traffic was served. Pure. */
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
    const rps = (mine.length * 1000) / intervalMs;
    return `${client.padEnd(20)} ${rps.toFixed(0).padStart(4)} req/s  ${String(failed).padStart(3)} failed  ${served || '—'}`;
  });
}
