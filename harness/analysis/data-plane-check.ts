import type { DataPlaneAccount, DataPlaneCheck, FaultRecord } from '../core/journal.js';
import type { RequestRecord } from '../traffic/record.js';

// The records beside the data plane's own account (Envoy's counters and the
// ejections its admin API showed). Each row is one figure both sides give; a
// disagreement is kept and shown with what may explain it, never dropped. Pure.

/** Successes per client and instance, 5xx answers and requests per client, from the records (the driver's own overload left out). */
function tally(records: readonly RequestRecord[]) {
  const served = new Map<string, number>();
  const fiveXx = new Map<string, number>();
  const sent = new Map<string, number>();
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const r of records) {
    if (r.error === 'driver-overload') continue;
    add(sent, r.client);
    if (r.error === null && r.instance) add(served, `${r.client}|${r.instance}`);
    if (r.status >= 500) add(fiveXx, r.client);
  }
  return { served, fiveXx, sent };
}

export function dataPlaneChecks(account: Omit<DataPlaneAccount, 'checks'>, records: readonly RequestRecord[], faults: readonly FaultRecord[], ejectionTimes: Record<string, number | null | undefined>): DataPlaneCheck[] {
  const { served, fiveXx, sent } = tally(records);
  const out: DataPlaneCheck[] = [];
  for (const s of account.sidecars) {
    const total = s.counters['outbound_80.downstream_rq_total'];
    if (total !== undefined) {
      const mine = sent.get(s.client) ?? 0;
      out.push({ client: s.client, what: 'requests', records: mine, sidecar: total, agrees: mine === total, ...(mine !== total ? { note: 'requests the driver gave up on (client timeout) before the sidecar answered, or cut at traffic stop' } : {}) });
    }
    const down5xx = s.counters['outbound_80.downstream_rq_5xx'];
    if (down5xx !== undefined) {
      const mine = fiveXx.get(s.client) ?? 0;
      out.push({ client: s.client, what: '5xx answers to the client', records: mine, sidecar: down5xx, agrees: mine === down5xx });
    }
    for (const h of s.hosts) {
      const mine = served.get(`${s.client}|${h.instance}`) ?? 0;
      if (mine === 0 && h.rqSuccess === 0) continue;
      out.push({ client: s.client, what: `served by ${h.instance}`, records: mine, sidecar: h.rqSuccess, agrees: mine === h.rqSuccess, ...(mine !== h.rqSuccess ? { note: 'an upstream success the driver had already timed out on counts for the sidecar only' } : {}) });
    }
    // Ejection, as the sidecar saw it: when the last of the faulted instances it sent to was flagged (none if one never
    // was), the counterpart of the records' last request to reach one. An instance it never sent to counts as at once.
    const faultedAt = new Map<string, number>();
    for (const f of faults) for (const a of f.affected) if (!faultedAt.has(a)) faultedAt.set(a, f.injectedAtMs);
    let sidecarEjection: number | null = 0;
    for (const [instance, at] of faultedAt) {
      const host = s.hosts.find((h) => h.instance === instance);
      if (!host || host.rqTotal + host.rqError === 0) continue;
      const flagged = s.ejections.filter((e) => e.instance === instance && (e.until === null || e.until >= at)).map((e) => Math.max(0, e.at - at));
      if (flagged.length === 0) sidecarEjection = null;
      else if (sidecarEjection !== null) sidecarEjection = Math.max(sidecarEjection, Math.min(...flagged));
    }
    const fromRecords = ejectionTimes[s.client];
    // A client that never reached a faulted instance and whose sidecar flagged none has nothing to compare.
    if (fromRecords !== undefined && !(sidecarEjection === 0 && (fromRecords === null || fromRecords === 0) && s.ejections.length === 0)) {
      const tolerance = account.scrapeIntervalMs * 2 + 50;
      const agrees = sidecarEjection !== null && fromRecords !== null ? Math.abs(sidecarEjection - fromRecords) <= tolerance : sidecarEjection === fromRecords;
      out.push({
        client: s.client,
        what: 'ejection (ms after the fault)',
        records: fromRecords,
        sidecar: sidecarEjection,
        agrees,
        note: `the sidecar's figure is when a scrape (every ${account.scrapeIntervalMs} ms) first saw the last of the faulted instances it sent to flagged; the records' is when the last request reached one (0 when none did after the fault)`,
      });
    }
  }
  return out;
}
