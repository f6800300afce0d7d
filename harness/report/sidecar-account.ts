import type { DataPlaneAccount, Journal } from '../core/journal.js';
import { escapeXml as esc } from './escape.js';

// The data plane's own account in the reports: each sidecar's counters, the
// ejections it showed, and each figure it gives beside the records' (a
// disagreement marked, never hidden). Pure.

/** The counters worth a reviewer's minute, by their Envoy names (cluster part dropped). */
const COUNTERS: [string, string][] = [
  ['outbound_80.downstream_rq_total', 'requests'],
  ['outbound_80.downstream_rq_5xx', '5xx to the client'],
  ['upstream_rq_retry', 'retries'],
  ['upstream_rq_retry_success', 'retries that succeeded'],
  ['upstream_rq_retry_limit_exceeded', 'out of retries'],
  ['upstream_cx_connect_fail', 'connect failures'],
  ['upstream_rq_per_try_timeout', 'per-try timeouts'],
  ['outlier_detection.ejections_enforced_total', 'ejections'],
  ['outlier_detection.ejections_overflow', 'ejections refused (maxEjectionPercent)'],
  ['upstream_cx_none_healthy', 'no healthy upstream'],
];

const rel = (j: Journal, at: number | null) => (at === null ? 'end' : `${((at - (j.faults[0]?.injectedAtMs ?? at)) / 1000).toFixed(2)} s`);
const fmt = (v: number | null) => (v === null ? 'none' : Number.isInteger(v) ? String(v) : v.toFixed(1));

export function sidecarAccountHtml(j: Journal, dp: DataPlaneAccount): string {
  const parts: string[] = [`<h2>The data plane's own account</h2><p class="small">${esc(dp.proxy)}. /clusters read every ${dp.scrapeIntervalMs} ms while traffic ran; counters at the end. Times are from the first fault.</p>`];
  const bad = dp.checks.filter((c) => !c.agrees);
  parts.push(
    `<table id="data-plane-checks"><tr><th></th><th>client</th><th>figure</th><th>records</th><th>sidecar</th><th>note</th></tr>${[...bad, ...dp.checks.filter((c) => c.agrees)]
      .map((c) => `<tr class="${c.agrees ? 'pass' : 'fail'}"><td>${c.agrees ? '✓ agrees' : '✗ differs'}</td><td>${esc(c.client)}</td><td>${esc(c.what)}</td><td>${fmt(c.records)}</td><td>${fmt(c.sidecar)}</td><td class="small">${c.agrees ? '' : esc(c.note ?? '')}</td></tr>`)
      .join('')}</table>`,
  );
  parts.push(
    `<table id="sidecar-counters"><tr><th>sidecar</th>${COUNTERS.map(([, label]) => `<th>${esc(label)}</th>`).join('')}<th>most ejected at once</th></tr>${dp.sidecars
      .map((s) => `<tr><td>${esc(s.client)}</td>${COUNTERS.map(([name]) => `<td>${s.counters[name] ?? 0}</td>`).join('')}<td>${s.maxEjected}</td></tr>`)
      .join('')}</table>`,
  );
  const ejections = dp.sidecars.flatMap((s) => s.ejections.map((e) => ({ client: s.client, ...e })));
  if (ejections.length > 0) {
    parts.push(`<table id="sidecar-ejections"><tr><th>sidecar</th><th>instance</th><th>ejected</th><th>back</th></tr>${ejections.map((e) => `<tr><td>${esc(e.client)}</td><td>${esc(e.instance)}</td><td>${rel(j, e.at)}</td><td>${rel(j, e.until)}</td></tr>`).join('')}</table>`);
  }
  return parts.join('');
}

export function sidecarAccountMarkdown(j: Journal, dp: DataPlaneAccount): string[] {
  const bad = dp.checks.filter((c) => !c.agrees);
  const out = ['## The data plane\'s own account', '', `${dp.proxy}: ${dp.checks.length - bad.length} of ${dp.checks.length} figures agree with the records.`, ''];
  out.push('| | client | figure | records | sidecar |', '|---|---|---|---|---|');
  for (const c of [...bad, ...dp.checks.filter((x) => x.agrees)]) out.push(`| ${c.agrees ? '✓' : '✗ **differs**'} | ${c.client} | ${c.what} | ${fmt(c.records)} | ${fmt(c.sidecar)}${c.agrees ? '' : ` (${c.note ?? ''})`} |`);
  out.push('', '| sidecar | retries | ejections | refused | most ejected at once | 5xx to the client |', '|---|---|---|---|---|---|');
  for (const s of dp.sidecars) out.push(`| ${s.client} | ${s.counters.upstream_rq_retry ?? 0} | ${s.counters['outlier_detection.ejections_enforced_total'] ?? 0} | ${s.counters['outlier_detection.ejections_overflow'] ?? 0} | ${s.maxEjected} | ${s.counters['outbound_80.downstream_rq_5xx'] ?? 0} |`);
  out.push('');
  return out;
}
