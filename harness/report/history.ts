import { echarts } from './echarts-lazy.js';
import type { Journal } from '../core/journal.js';
import { escapeXml } from './escape.js';
import { fmtMs } from './format.js';
import { isPerInjection, worstInjectionRecovery } from './failover-summary.js';

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
  /** Where and how it ran ("local/netns kill"): runs are compared only within one mode. */
  mode: string;
  /** What the command line changed (--assert, --rate…): such a run is not the experiment's own and gets a trend of its own. */
  overrides?: string[];
  /** The run's headline figure, from the injection each client was touched by: the worst per-injection recovery on a timeline. */
  headlineMs?: number | null;
  /** The names of the assertions that failed (absent in indexes written before they were). */
  failedAssertions?: string[];
  /** The budget the headline figure was held to, in ms (the tightest `<` on it), for the trend's threshold line. */
  budgetMs?: number;
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
    mode: [`${j.provider}/${j.isolation}`, ...new Set(j.faults.map((f) => f.mode).filter((m): m is NonNullable<typeof m> => Boolean(m))), ...(j.settings.overrides?.length ? ['· overridden'] : [])].join(' '),
    ...(j.settings.overrides?.length ? { overrides: j.settings.overrides.map((o) => `${o.option} ${o.value}${o.replaces !== null ? ` (replaces ${o.replaces})` : ''}`) } : {}),
    ...(perInjectionWorst(j) !== undefined ? { headlineMs: perInjectionWorst(j)! } : {}),
    failedAssertions: j.assertions.filter((a) => !a.passed).map((a) => a.name),
    ...(headlineBudget(j) !== undefined ? { budgetMs: headlineBudget(j)! } : {}),
  };
}

/** The tightest upper budget on the run's headline figure: write unavailability, or recovery (any client, any injection). */
function headlineBudget(j: Journal): number | undefined {
  const metric = j.controlPlane ? /^controlPlane\.writeUnavailableMs$/ : /(^|\.)recovery\.timeMs$/;
  const budgets = j.assertions.filter((a) => metric.test(a.metric) && (a.op === '<' || a.op === '<=') && typeof a.expected === 'number').map((a) => a.expected!);
  return budgets.length ? Math.min(...budgets) : undefined;
}

/**
 * On a timeline of several injections the run-level recovery counts from the
 * first one (a client the second injection touched reads seconds it never
 * lived through): the worst recovery of any client × injection that touched it.
 */
function perInjectionWorst(j: Journal): number | null | undefined {
  if (!isPerInjection(j)) return undefined;
  // No injection cost any client a request: nothing to recover from.
  return worstInjectionRecovery(j) ?? 0;
}

/** A run's own headline figure: write unavailability for control-plane runs, the worst recovery time otherwise. */
function headline(r: RunSummary): { label: string; value: number | null } {
  if (r.writeUnavailableMs !== null) return { label: 'writes unavailable', value: r.writeUnavailableMs };
  return r.headlineMs !== undefined ? { label: 'worst recovery per injection', value: r.headlineMs } : { label: 'worst recovery', value: r.worstRecoveryTimeMs };
}

const byMode = (runs: readonly RunSummary[]) => {
  const out = new Map<string, RunSummary[]>();
  for (const r of runs) (out.get(r.mode) ?? out.set(r.mode, []).get(r.mode)!).push(r);
  return out;
};

export function buildIndex(runs: readonly RunSummary[], generatedAt: string): HistoryIndex {
  const experiments: Record<string, RunSummary[]> = {};
  for (const r of [...runs].sort((a, b) => b.startedAt.localeCompare(a.startedAt))) (experiments[r.experiment] ??= []).push(r);
  return { generatedAt, experiments: Object.fromEntries(Object.entries(experiments).sort(([a], [b]) => a.localeCompare(b))) };
}

const esc = escapeXml;
/** One glyph per verdict, told apart without colour: ✓ passed, ✗ failed, ? unverified, ‖ aborted, ! error or crashed. */
const GLYPH: Record<string, string> = { passed: '✓', failed: '✗', unverified: '?', aborted: '‖', error: '!', crashed: '!' };
// Text colours at 4.5:1 or more on white.
const STATUS_COLOR: Record<string, string> = { passed: '#1a7f37', failed: '#b42318', unverified: '#595959', aborted: '#9a4a00', error: '#7f1d1d', crashed: '#7f1d1d' };

function trend(runs: readonly RunSummary[]): string {
  const chronological = [...runs].reverse();
  const label = headline(runs[0]!).label;
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width: 900, height: 220 });
  chart.setOption({
    animation: false,
    grid: { left: 60, right: 20, top: 30, bottom: 50 },
    title: { text: `${label} per run (ms)`, left: 'center', textStyle: { fontSize: 13 } },
    xAxis: { type: 'category', data: chronological.map((r) => r.startedAt.slice(5, 16).replace('T', ' ')) },
    yAxis: { type: 'value', name: 'ms' },
    series: [
      {
        type: 'line',
        name: label,
        data: chronological.map((r) => ({ value: headline(r).value, itemStyle: { color: STATUS_COLOR[r.status] } })),
        symbolSize: 8,
        lineStyle: { color: '#999' },
        // The budget the newest run held it to, dashed: a point above it missed.
        ...(runs[0]!.budgetMs !== undefined ? { markLine: { silent: true, symbol: 'none', data: [{ yAxis: runs[0]!.budgetMs, name: 'budget' }], lineStyle: { color: '#444', type: 'dashed' }, label: { formatter: `budget ${runs[0]!.budgetMs} ms` } } } : {}),
      },
    ],
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

export function renderIndexHtml(index: HistoryIndex): string {
  const row = (r: RunSummary) =>
    `<tr class="run ${r.status}${r.overrides ? ' overridden' : ''}"><td style="white-space:nowrap"><a href="${esc(r.dir)}/report.html">${esc(r.startedAt.slice(0, 19).replace('T', ' '))} UTC</a></td><td style="color:${STATUS_COLOR[r.status]}">${r.status}</td><td>${fmtMs(headline(r).label === 'writes unavailable' ? r.worstRecoveryTimeMs : headline(r).value)}</td><td>${r.failedRequests} / ${r.requests}</td><td>${r.assertionsFailed}${r.failedAssertions?.length ? `<br><span class="small">${esc(r.failedAssertions.slice(0, 3).join('; '))}${r.failedAssertions.length > 3 ? ` and ${r.failedAssertions.length - 3} more` : ''}</span>` : ''}</td><td>${r.writeUnavailableMs === null ? '—' : fmtMs(r.writeUnavailableMs)}</td><td>${r.lostAcknowledgedWrites ?? '—'}</td><td>${esc(r.mode)}${r.overrides ? `<br><span class="overridden">overridden: ${esc(r.overrides.join('; '))}</span>` : ''}</td></tr>`;
  // The overview: every experiment and mode, its latest verdict and headline figure, and the last ten verdicts oldest first.
  const overview = Object.entries(index.experiments).flatMap(([name, runs]) =>
    [...byMode(runs)].map(([mode, mine]) => {
      const latest = mine[0]!;
      const h = headline(latest);
      const last = [...mine.slice(0, 10)].reverse().map((r) => `<span title="${esc(r.startedAt)} ${r.status}" style="color:${STATUS_COLOR[r.status]}">${GLYPH[r.status] ?? '?'}</span>`).join('');
      return `<tr class="overview ${latest.status}" data-experiment="${esc(name)}"><td><a href="#${esc(name)}">${esc(name)}</a></td><td>${esc(mode)}</td><td style="color:${STATUS_COLOR[latest.status]}"><a href="${esc(latest.dir)}/report.html">${latest.status}</a></td><td>${h.label} ${fmtMs(h.value)}</td><td class="trend">${last}</td></tr>`;
    }),
  );
  const sections = Object.entries(index.experiments).map(([name, runs]) => {
    const latest = runs[0]!;
    const modes = [...byMode(runs)].map(
      ([mode, mine]) =>
        `<h3>${esc(mode)}</h3>${mine.length > 1 ? `<div class="chart">${trend(mine)}</div>` : ''}<table><tr><th>run</th><th>verdict</th><th>worst recovery</th><th>failed requests</th><th>failed assertions</th><th>write unavailability</th><th>lost writes</th><th>mode</th></tr>${mine.map(row).join('')}</table>`,
    );
    return `<section class="experiment" id="${esc(name)}" data-experiment="${esc(name)}"><h2>${esc(name)}</h2><p>latest: <a href="${esc(latest.dir)}/report.html">${esc(latest.startedAt)}</a> <b style="color:${STATUS_COLOR[latest.status]}">${latest.status}</b> · ${runs.length} run${runs.length === 1 ? '' : 's'}</p>${modes.join('')}</section>`;
  });
  const table = overview.length > 0 ? `<table id="overview"><tr><th>experiment</th><th>mode</th><th>latest</th><th>headline</th><th>last runs</th></tr>${overview.join('')}</table>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>failover-harness runs</title><style>body{font:14px/1.45 system-ui,sans-serif;max-width:1000px;margin:0 auto;padding:16px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px}h2{border-bottom:1px solid #ddd}svg{max-width:100%;height:auto}.trend{letter-spacing:2px}</style></head><body><h1>failover-harness: run history</h1><p>generated ${esc(index.generatedAt)}</p>${table}${sections.join('\n') || '<p>No runs yet.</p>'}</body></html>\n`;
}
