import * as echarts from 'echarts';
import type { Journal } from '../core/journal.js';
import { escapeXml } from './escape.js';
import { fmtMs } from './format.js';

// reports/index.json and index.html: every run of every experiment found under
// a reports folder, newest first, with the recovery-time trend. Pure.

export interface RunSummary {
  dir: string;
  runId: string;
  experiment: string;
  provider: string;
  isolation: string;
  startedAt: string;
  status: Journal['status'];
  worstRecoveryTimeMs: number | null;
  requests: number;
  failedRequests: number;
  assertionsFailed: number;
  writeUnavailableMs: number | null;
  lostAcknowledgedWrites: number | null;
}

export interface HistoryIndex {
  generatedAt: string;
  experiments: Record<string, RunSummary[]>;
}

export function summarize(dir: string, j: Journal): RunSummary {
  return {
    dir,
    runId: j.runId,
    experiment: j.experiment,
    provider: j.provider,
    isolation: j.isolation,
    startedAt: j.startedAt,
    status: j.status,
    worstRecoveryTimeMs: j.metrics.worstRecoveryTimeMs ?? null,
    requests: j.metrics.requests,
    failedRequests: j.metrics.failed,
    assertionsFailed: j.metrics.assertionsFailed,
    writeUnavailableMs: j.controlPlane?.writeUnavailableMs ?? null,
    lostAcknowledgedWrites: j.controlPlane?.lostAcknowledgedWrites ?? null,
  };
}

export function buildIndex(runs: readonly RunSummary[], generatedAt: string): HistoryIndex {
  const experiments: Record<string, RunSummary[]> = {};
  for (const r of [...runs].sort((a, b) => b.startedAt.localeCompare(a.startedAt))) (experiments[r.experiment] ??= []).push(r);
  return { generatedAt, experiments: Object.fromEntries(Object.entries(experiments).sort(([a], [b]) => a.localeCompare(b))) };
}

const esc = escapeXml;
const STATUS_COLOR: Record<string, string> = { passed: '#2ca02c', failed: '#d62728', unverified: '#7f7f7f', aborted: '#ff7f0e', error: '#7f1d1d' };

function trend(runs: readonly RunSummary[]): string {
  const chronological = [...runs].reverse();
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 900, height: 220 });
  chart.setOption({
    animation: false,
    grid: { left: 60, right: 20, top: 30, bottom: 50 },
    title: { text: 'worst recovery time per run (ms)', left: 'center', textStyle: { fontSize: 13 } },
    xAxis: { type: 'category', data: chronological.map((r) => r.startedAt.slice(5, 16).replace('T', ' ')) },
    yAxis: { type: 'value', name: 'ms' },
    series: [
      {
        type: 'line',
        name: 'recovery',
        data: chronological.map((r) => ({ value: r.worstRecoveryTimeMs, itemStyle: { color: STATUS_COLOR[r.status] } })),
        symbolSize: 8,
        lineStyle: { color: '#999' },
      },
    ],
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

export function renderIndexHtml(index: HistoryIndex): string {
  const sections = Object.entries(index.experiments).map(([name, runs]) => {
    const latest = runs[0]!;
    const rows = runs
      .map(
        (r) =>
          `<tr class="run ${r.status}"><td><a href="${esc(r.dir)}/report.html">${esc(r.startedAt)}</a></td><td style="color:${STATUS_COLOR[r.status]}">${r.status}</td><td>${fmtMs(r.worstRecoveryTimeMs)}</td><td>${r.failedRequests} / ${r.requests}</td><td>${r.assertionsFailed}</td><td>${r.writeUnavailableMs === null ? '—' : fmtMs(r.writeUnavailableMs)}</td><td>${r.lostAcknowledgedWrites ?? '—'}</td><td>${esc(r.provider)}/${esc(r.isolation)}</td></tr>`,
      )
      .join('');
    return `<section class="experiment" data-experiment="${esc(name)}"><h2>${esc(name)}</h2><p>latest: <a href="${esc(latest.dir)}/report.html">${esc(latest.startedAt)}</a> <b style="color:${STATUS_COLOR[latest.status]}">${latest.status}</b> · ${runs.length} run${runs.length === 1 ? '' : 's'}</p>${runs.length > 1 ? `<div class="chart">${trend(runs)}</div>` : ''}<table><tr><th>run</th><th>verdict</th><th>worst recovery</th><th>failed requests</th><th>failed assertions</th><th>write unavailability</th><th>lost writes</th><th>where</th></tr>${rows}</table></section>`;
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>failover-harness runs</title><style>body{font:14px/1.45 system-ui,sans-serif;max-width:1000px;margin:0 auto;padding:16px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px}h2{border-bottom:1px solid #ddd}svg{max-width:100%;height:auto}</style></head><body><h1>failover-harness: run history</h1><p>generated ${esc(index.generatedAt)}</p>${sections.join('\n') || '<p>No runs yet.</p>'}</body></html>\n`;
}
