import { echarts } from './echarts-lazy.js';
import { phaseInjectedAt } from '../core/timeline.js';
import { isPerInjection } from './failover-summary.js';
import type { ClientResult, ControlPlaneResult, FaultRecord } from '../core/journal.js';

// Charts rendered to SVG at report time by ECharts' server-side renderer: no
// script is needed to view them and nothing is fetched.

type Option = Record<string, unknown>;

/**
 * Localities in the Okabe–Ito colours (told apart with any colour vision),
 * red left out: failures are red, and hatched as well, so colour is never the
 * only cue. One map per report, from every locality any client was served by,
 * by name: zone-b has one colour in every chart of the page.
 */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#F0E442', '#000000', '#999999'];
export const FAILED_COLOR = '#B2182B';
const FAILED_STYLE = { color: FAILED_COLOR, decal: { symbol: 'rect', symbolSize: 1, dashArrayX: [1, 0], dashArrayY: [3, 5], rotation: Math.PI / 4, color: 'rgba(255,255,255,0.7)' } };
const FAULT_WINDOW = 'rgba(214,39,40,0.08)';
/** The recovery budget: a light blue band from the fault to where the budget runs out. */
const BUDGET_BAND = 'rgba(0,114,178,0.10)';

/** One colour per locality name for a whole report. */
export function localityColours(names: Iterable<string>): Map<string, string> {
  return new Map([...new Set(names)].sort().map((n, i) => [n, PALETTE[i % PALETTE.length]!]));
}

/** An SVG chart with its text alternative: role="img", an aria-label and a <title> a screen reader or a hover reads. */
function render(option: Option, width: number, height: number, alt: string): string {
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width, height });
  chart.setOption({ animation: false, textStyle: { fontFamily: 'sans-serif' }, ...option });
  const svg = chart.renderToSVGString();
  chart.dispose();
  const label = alt.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
  return svg.replace(/^<svg\b([^>]*)>/, (_m, attrs: string) => `<svg${attrs} role="img" aria-label="${label}"><title>${label}</title>`);
}

const sec = (ms: number, t0: number) => Math.round(((ms - t0) / 1000) * 1000) / 1000;

/** Vertical markers: fault injected/reverted, recovery and failover points. */
function markers(faults: readonly FaultRecord[], t0: number, extra: { at: number | null; label: string; color: string }[] = []): Option {
  // Pins are labelled (failover, recovered, back home, leader → x), above the plot, alternately high and low
  // so two pins milliseconds apart do not write over each other; their figures are in the subtitle too.
  const lines = [
    ...faults.flatMap((f) => [
      { xAxis: sec(f.injectedAtMs, t0), name: `${f.kind} injected`, lineStyle: { color: '#000', type: 'solid', width: 2 }, label: { formatter: 'fault', position: 'end' } },
      ...(f.revertedAtMs !== null ? [{ xAxis: sec(f.revertedAtMs, t0), name: 'reverted', lineStyle: { color: '#555', type: 'dashed', width: 2 }, label: { formatter: 'revert', position: 'end' } }] : []),
    ]),
    ...extra
      .filter((e) => e.at !== null)
      .map((e, i) => ({ xAxis: sec(e.at!, t0), name: e.label, lineStyle: { color: e.color, type: 'dotted', width: 2 }, label: { show: true, formatter: e.label, position: i % 2 === 0 ? 'insideEndTop' : 'insideEndBottom', color: '#222', fontSize: 10 } })),
  ];
  return { symbol: 'none', silent: true, data: lines, label: { fontSize: 11 } };
}

/** The key a series group has when it is the client's own home at the chart's level. */
function homeKey(c: ClientResult, groupBy: string): string | undefined {
  // Series group by the record's own field (series.ts): a plain zone or subzone name.
  const l = c.locality;
  if (groupBy === 'region') return l.region;
  if (groupBy === 'zone') return l.zone;
  if (groupBy === 'subzone') return l.subzone;
  return undefined;
}

/** Fault windows as shaded bands. */
function faultWindows(faults: readonly FaultRecord[], t0: number, end: number): Option {
  return {
    silent: true,
    itemStyle: { color: FAULT_WINDOW },
    data: faults.map((f) => [{ xAxis: sec(f.injectedAtMs, t0) }, { xAxis: sec(f.revertedAtMs ?? end, t0) }]),
  };
}

/**
 * Requests per second stacked by serving locality (home in blue, elsewhere in
 * fixed colours, failures red), the fault window shaded, fault and revert
 * marked, failover and recovery pinned, and the recovery budget drawn when an
 * assertion sets one.
 */
export function timelineChart(
  c: ClientResult,
  faults: readonly FaultRecord[],
  t0: number,
  recoveryBudgetMs?: number,
  colours: Map<string, string> = localityColours(c.series!.groups),
  /** Per injection N, the budget of `injection(N).recovery.timeMs` on this client. */
  injectionBudgets: Record<number, number> = {},
): string {
  const s = c.series!;
  const rps = 1000 / s.binMs;
  const x = (i: number) => sec(s.start + (i + 0.5) * s.binMs, t0);
  const injected = phaseInjectedAt(faults);
  // Absent (no fault injected) draws and says nothing; null is "never".
  const failoverMs = c.timeToFailoverMs;
  const recoveryMs = c.recoveryTimeMs;
  const failbackMs = c.failbackTimeMs;
  // Failback counts from the last revert (t_r).
  const reverts = faults.map((f) => f.revertedAtMs).filter((t): t is number => t !== null);
  const reverted = reverts.length ? Math.max(...reverts) : null;
  const extra: { at: number | null; label: string; color: string }[] = [
    { at: injected !== null && typeof failoverMs === 'number' ? injected + failoverMs : null, label: `failover ${Math.round(failoverMs ?? 0)} ms`, color: '#ff7f0e' },
    { at: injected !== null && typeof recoveryMs === 'number' && c.phases.fault.failed > 0 ? injected + recoveryMs : null, label: `recovered ${Math.round(recoveryMs ?? 0)} ms`, color: '#2ca02c' },
    { at: injected !== null && recoveryBudgetMs !== undefined ? injected + recoveryBudgetMs : null, label: `budget ${Math.round(recoveryBudgetMs ?? 0)} ms`, color: '#444444' },
    { at: reverted !== null && typeof failbackMs === 'number' && failbackMs > 0 ? reverted + failbackMs : null, label: `back home ${Math.round(failbackMs ?? 0)} ms`, color: '#0072B2' },
  ];
  const notes = [
    ...(typeof failoverMs === 'number' ? [`first failover (orange) ${Math.round(failoverMs)} ms after the fault`] : []),
    ...(typeof recoveryMs === 'number' && c.phases.fault.failed > 0 ? [`recovered (green) ${Math.round(recoveryMs)} ms after the fault`] : []),
    ...(recoveryMs === null ? ['never recovered during the fault'] : []),
    ...(recoveryMs === undefined ? ['no fault was injected: nothing to recover from'] : []),
    ...(recoveryBudgetMs !== undefined ? [`recovery budget ${Math.round(recoveryBudgetMs)} ms (light blue band from the fault, dotted line where it ends)`] : []),
    ...(typeof failbackMs === 'number' && failbackMs > 0 ? [`back home (blue, dotted) ${Math.round(failbackMs)} ms after the revert`] : []),
    `${c.phases.fault.failed} of ${c.phases.fault.requests} requests failed during the fault`,
    ...(faults.length > 0 ? ['shaded: the fault window'] : []),
  ];
  // Where recovery is due by: [from, until], drawn as a band.
  const budgetBands: [number, number][] = injected !== null && recoveryBudgetMs !== undefined ? [[injected, injected + recoveryBudgetMs]] : [];
  // Several injections: each one's pins and notes from its own window (the run-level figures count from the first).
  if (isPerInjection({ faults }) && faults.every((f) => f.impact?.[c.name])) {
    extra.length = 0;
    notes.length = 0;
    budgetBands.length = 0;
    faults.forEach((f, n) => {
      const im = f.impact![c.name]!;
      const touched = im.failed > 0 || im.timeToFailoverMs !== null;
      if (!touched) return;
      const budget = injectionBudgets[n];
      if (typeof im.timeToFailoverMs === 'number') extra.push({ at: f.injectedAtMs + im.timeToFailoverMs, label: `#${n} failover`, color: '#E69F00' });
      if (typeof im.recoveryTimeMs === 'number' && im.failed > 0) extra.push({ at: f.injectedAtMs + im.recoveryTimeMs, label: `#${n} recovered`, color: '#009E73' });
      if (budget !== undefined) {
        extra.push({ at: f.injectedAtMs + budget, label: `#${n} budget`, color: '#444444' });
        budgetBands.push([f.injectedAtMs, f.injectedAtMs + budget]);
      }
      if (f.revertedAtMs !== null && typeof im.failbackTimeMs === 'number' && im.failbackTimeMs > 0) extra.push({ at: f.revertedAtMs + im.failbackTimeMs, label: `#${n} back home`, color: '#0072B2' });
      notes.push(`injection(${n}) ${f.kind} ${f.target}: ${im.failed}/${im.requests} failed, failover ${im.timeToFailoverMs === null ? 'never' : `${Math.round(im.timeToFailoverMs)} ms`}, recovered ${im.recoveryTimeMs === null ? 'never' : `${Math.round(im.recoveryTimeMs)} ms`}${budget !== undefined ? ` (budget ${Math.round(budget)} ms)` : ''}, back home ${im.failbackTimeMs === null ? 'never' : `${Math.round(im.failbackTimeMs)} ms`} after its revert`);
    });
    if (notes.length === 0) notes.push('no injection touched this client');
    notes.push('shaded: the fault windows');
    if (budgetBands.length > 0) notes.push('light blue bands: each recovery budget');
  }
  const home = homeKey(c, s.groupBy);
  if (home !== undefined) notes.unshift(`home: ${home}`);
  const colourOf = (g: string) => colours.get(g) ?? '#999999';
  const end = s.start + s.failed.length * s.binMs;
  const series = [
    ...s.groups.map((g, gi) => ({ name: g || '(none)', type: 'bar', stack: 'rps', barCategoryGap: '0%', itemStyle: { color: colourOf(g) }, data: s.served[gi]!.map((n, i) => [x(i), n * rps]) })),
    { name: 'failed', type: 'bar', stack: 'rps', itemStyle: FAILED_STYLE, data: s.failed.map((n, i) => [x(i), n * rps]), markLine: markers(faults, t0, extra), markArea: faultWindows(faults, t0, end) },
    // No data of its own (and not in the legend): it carries the budget bands, a series having one markArea.
    ...(budgetBands.length > 0
      ? [{ name: 'recovery budget', type: 'line', data: [], markArea: { silent: true, itemStyle: { color: BUDGET_BAND }, label: { show: true, position: 'insideTop', formatter: 'budget', color: '#222', fontSize: 10 }, data: budgetBands.map(([from, until]) => [{ xAxis: sec(from, t0) }, { xAxis: sec(until, t0) }]) } }]
      : []),
  ];
  const served = s.groups.map((g, gi) => `${g || '(none)'} ${s.served[gi]!.reduce((a, b) => a + b, 0)}`).join(', ');
  const alt = `${c.name}: requests per second by serving ${s.groupBy} over the run. Served: ${served}; failed ${s.failed.reduce((a, b) => a + b, 0)}. ${notes.join('; ')}.`;
  return render({
    // Two notes a line: a long run of notes must not run off the chart.
    title: { text: `${c.name}: requests per second by serving ${s.groupBy}`, subtext: notes.reduce((lines: string[], n, i) => (i % 2 === 0 ? [...lines, n] : [...lines.slice(0, -1), `${lines.at(-1)} · ${n}`]), []).join('\n'), left: 10, top: 4, textStyle: { fontSize: 14 }, subtextStyle: { fontSize: 12, color: '#333', lineHeight: 16 } },
    legend: { top: 4, right: 10, data: [...s.groups.map((g) => g || '(none)'), 'failed'] },
    grid: { left: 50, right: 30, top: 40 + 16 * Math.ceil(notes.length / 2) + 16, bottom: 40 },
    xAxis: { type: 'value', name: 's', min: 0, max: sec(s.start + s.failed.length * s.binMs, t0) },
    // Headroom above the bars, where the shaded fault window shows.
    yAxis: { type: 'value', name: 'req/s', max: (v: { max: number }) => Math.max(1, Math.ceil(v.max * 1.25)) },
    series,
  }, 960, 300, alt);
}

export function latencyChart(c: ClientResult, faults: readonly FaultRecord[], t0: number): string {
  const s = c.series!;
  const x = (i: number) => sec(s.start + (i + 0.5) * s.binMs, t0);
  return render(
    {
      title: { text: `${c.name}: latency of successful requests, and failures`, left: 10, top: 4, textStyle: { fontSize: 14 } },
      legend: { top: 4, right: 10, data: ['p50', 'max', 'failed'] },
      grid: { left: 50, right: 50, top: 60, bottom: 40 },
      xAxis: { type: 'value', name: 's', min: 0, max: sec(s.start + s.failed.length * s.binMs, t0) },
      // Failures (timeouts included) have no latency to plot: their rate on the right axis, so a slow zone's
      // timed-out tries are seen beside the successes' latency (reviewer-ux-review-2 D6).
      yAxis: [{ type: 'value', name: 'ms' }, { type: 'value', name: 'failed/s', position: 'right', splitLine: { show: false } }],
      series: [
        { name: 'p50', type: 'line', showSymbol: false, connectNulls: false, itemStyle: { color: PALETTE[0] }, data: s.p50.map((v, i) => [x(i), v]), markLine: markers(faults, t0) },
        { name: 'max', type: 'line', showSymbol: false, connectNulls: false, itemStyle: { color: '#E69F00' }, lineStyle: { type: 'dashed' }, data: s.max.map((v, i) => [x(i), v]) },
        { name: 'failed', type: 'bar', yAxisIndex: 1, barCategoryGap: '0%', itemStyle: FAILED_STYLE, data: s.failed.map((n, i) => [x(i), (n * 1000) / s.binMs]) },
      ],
    },
    960,
    220,
    `${c.name}: latency of successful requests (p50 and max per bin, ms) over the run; worst max ${Math.round(Math.max(0, ...s.max.filter((v): v is number => v !== null)))} ms; failed requests per second on the right axis (${s.failed.reduce((a, b) => a + b, 0)} failed in all).`,
  );
}

/** Write and read availability per bin, with leader changes marked. */
export function controlPlaneChart(cp: ControlPlaneResult, faults: readonly FaultRecord[], t0: number): string {
  const s = cp.series!;
  const x = (i: number) => sec(s.start + (i + 0.5) * s.binMs, t0);
  const ratio = (ok: number[], bad: number[]) => ok.map((o, i) => [x(i), o + bad[i]! === 0 ? null : Math.round((o / (o + bad[i]!)) * 1000) / 10]);
  const leaderChanges: { at: number; label: string; color: string }[] = [];
  let last: string | null = null;
  s.leader.forEach((l, i) => {
    if (l !== null && l !== last) {
      if (last !== null) leaderChanges.push({ at: s.start + i * s.binMs, label: `leader → ${l}`, color: '#CC79A7' });
      last = l;
    }
  });
  return render(
    {
      title: { text: 'Control plane: availability of writes and reads (%)', left: 10, top: 4, textStyle: { fontSize: 14 } },
      legend: { top: 4, right: 10, data: ['writes', 'linearizable reads', 'serializable reads'] },
      grid: { left: 50, right: 30, top: 60, bottom: 40 },
      xAxis: { type: 'value', name: 's', min: 0, max: sec(s.start + s.writesOk.length * s.binMs, t0) },
      yAxis: { type: 'value', name: '%', min: 0, max: 100 },
      series: [
        // Writes in the report's first colour, not failure red: a write line is availability, failure is its dip.
        { name: 'writes', type: 'line', step: 'middle', showSymbol: false, itemStyle: { color: PALETTE[0] }, lineStyle: { width: 3 }, data: ratio(s.writesOk, s.writesFailed), markLine: markers(faults, t0, leaderChanges), markArea: faultWindows(faults, t0, s.start + s.writesOk.length * s.binMs) },
        { name: 'linearizable reads', type: 'line', step: 'middle', showSymbol: false, itemStyle: { color: PALETTE[1] }, data: ratio(s.linearizableOk, s.linearizableFailed) },
        { name: 'serializable reads', type: 'line', step: 'middle', showSymbol: false, itemStyle: { color: PALETTE[2] }, lineStyle: { type: 'dashed' }, data: ratio(s.serializableOk, s.serializableFailed) },
      ],
    },
    960,
    260,
    `Control plane: availability of writes, linearizable and serializable reads (%) per bin over the run; writes unavailable ${Math.round(cp.writeUnavailableMs)} ms; leader ${cp.initialLeader ?? 'unknown'} → ${cp.finalLeader ?? 'unknown'} (${leaderChanges.length ? leaderChanges.map((l) => `${l.label} at ${sec(l.at, t0)} s`).join(', ') : 'no change seen'}); shaded: the fault window.`,
  );
}
