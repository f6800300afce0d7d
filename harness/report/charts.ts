import { echarts } from './echarts-lazy.js';
import { phaseInjectedAt } from '../core/timeline.js';
import type { ClientResult, ControlPlaneResult, FaultRecord } from '../core/journal.js';

// Charts rendered to SVG at report time by ECharts' server-side renderer: no
// script is needed to view them and nothing is fetched.

type Option = Record<string, unknown>;

export const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#aec7e8', '#98df8a'];
export const FAILED_COLOR = '#d62728';
/** Fixed meanings, the same in every chart of every run: the client's home is always this blue, failures always red. */
export const HOME_COLOR = '#1f77b4';
/** Everywhere else a client was served, in the order of their names (stable across runs of one experiment). */
const AWAY_COLORS = ['#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#98df8a'];
const FAULT_WINDOW = 'rgba(214,39,40,0.08)';

function render(option: Option, width = 960, height = 300): string {
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width, height });
  chart.setOption({ animation: false, textStyle: { fontFamily: 'sans-serif' }, ...option });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

const sec = (ms: number, t0: number) => Math.round(((ms - t0) / 1000) * 1000) / 1000;

/** Vertical markers: fault injected/reverted, recovery and failover points. */
function markers(faults: readonly FaultRecord[], t0: number, extra: { at: number | null; label: string; color: string }[] = []): Option {
  // Fault and revert are labelled above the plot; the annotation lines
  // (failover, recovery) are often milliseconds apart, so their figures go in
  // the chart's subtitle instead of labels that would overlap.
  const lines = [
    ...faults.flatMap((f) => [
      { xAxis: sec(f.injectedAtMs, t0), name: `${f.kind} injected`, lineStyle: { color: '#000', type: 'solid', width: 2 }, label: { formatter: 'fault', position: 'end' } },
      ...(f.revertedAtMs !== null ? [{ xAxis: sec(f.revertedAtMs, t0), name: 'reverted', lineStyle: { color: '#555', type: 'dashed', width: 2 }, label: { formatter: 'revert', position: 'end' } }] : []),
    ]),
    ...extra
      .filter((e) => e.at !== null)
      .map((e) => ({ xAxis: sec(e.at!, t0), name: e.label, lineStyle: { color: e.color, type: 'dotted', width: 2 }, label: { show: false } })),
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
export function timelineChart(c: ClientResult, faults: readonly FaultRecord[], t0: number, recoveryBudgetMs?: number): string {
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
  const extra = [
    { at: injected !== null && typeof failoverMs === 'number' ? injected + failoverMs : null, label: `failover ${Math.round(failoverMs ?? 0)} ms`, color: '#ff7f0e' },
    { at: injected !== null && typeof recoveryMs === 'number' && c.phases.fault.failed > 0 ? injected + recoveryMs : null, label: `recovered ${Math.round(recoveryMs ?? 0)} ms`, color: '#2ca02c' },
    { at: injected !== null && recoveryBudgetMs !== undefined ? injected + recoveryBudgetMs : null, label: `budget ${Math.round(recoveryBudgetMs ?? 0)} ms`, color: FAILED_COLOR },
    { at: reverted !== null && typeof failbackMs === 'number' && failbackMs > 0 ? reverted + failbackMs : null, label: `back home ${Math.round(failbackMs ?? 0)} ms`, color: HOME_COLOR },
  ];
  const notes = [
    ...(typeof failoverMs === 'number' ? [`first failover (orange) ${Math.round(failoverMs)} ms after the fault`] : []),
    ...(typeof recoveryMs === 'number' && c.phases.fault.failed > 0 ? [`recovered (green) ${Math.round(recoveryMs)} ms after the fault`] : []),
    ...(recoveryMs === null ? ['never recovered during the fault'] : []),
    ...(recoveryMs === undefined ? ['no fault was injected: nothing to recover from'] : []),
    ...(recoveryBudgetMs !== undefined ? [`recovery budget (red, dotted) ${Math.round(recoveryBudgetMs)} ms`] : []),
    ...(typeof failbackMs === 'number' && failbackMs > 0 ? [`back home (blue, dotted) ${Math.round(failbackMs)} ms after the revert`] : []),
    `${c.phases.fault.failed} of ${c.phases.fault.requests} requests failed during the fault`,
    ...(faults.length > 0 ? ['shaded: the fault window'] : []),
  ];
  const home = homeKey(c, s.groupBy);
  const away = s.groups.filter((g) => g !== home).sort();
  const colourOf = (g: string) => (g === home ? HOME_COLOR : AWAY_COLORS[away.indexOf(g) % AWAY_COLORS.length]);
  const end = s.start + s.failed.length * s.binMs;
  const series = [
    ...s.groups.map((g, gi) => ({ name: g || '(none)', type: 'bar', stack: 'rps', barCategoryGap: '0%', itemStyle: { color: colourOf(g) }, data: s.served[gi]!.map((n, i) => [x(i), n * rps]) })),
    { name: 'failed', type: 'bar', stack: 'rps', itemStyle: { color: FAILED_COLOR }, data: s.failed.map((n, i) => [x(i), n * rps]), markLine: markers(faults, t0, extra), markArea: faultWindows(faults, t0, end) },
  ];
  return render({
    // Two notes a line: a long run of notes must not run off the chart.
    title: { text: `${c.name}: requests per second by serving ${s.groupBy}`, subtext: notes.reduce((lines: string[], n, i) => (i % 2 === 0 ? [...lines, n] : [...lines.slice(0, -1), `${lines.at(-1)} · ${n}`]), []).join('\n'), left: 10, top: 4, textStyle: { fontSize: 14 }, subtextStyle: { fontSize: 12, color: '#333', lineHeight: 16 } },
    legend: { top: 4, right: 10, data: [...s.groups.map((g) => g || '(none)'), 'failed'] },
    grid: { left: 50, right: 30, top: 40 + 16 * Math.ceil(notes.length / 2) + 16, bottom: 40 },
    xAxis: { type: 'value', name: 's', min: 0, max: sec(s.start + s.failed.length * s.binMs, t0) },
    // Headroom above the bars, where the shaded fault window shows.
    yAxis: { type: 'value', name: 'req/s', max: (v: { max: number }) => Math.max(1, Math.ceil(v.max * 1.25)) },
    series,
  });
}

export function latencyChart(c: ClientResult, faults: readonly FaultRecord[], t0: number): string {
  const s = c.series!;
  const x = (i: number) => sec(s.start + (i + 0.5) * s.binMs, t0);
  return render(
    {
      title: { text: `${c.name}: latency of successful requests`, left: 10, top: 4, textStyle: { fontSize: 14 } },
      legend: { top: 4, right: 10, data: ['p50', 'max'] },
      grid: { left: 50, right: 30, top: 60, bottom: 40 },
      xAxis: { type: 'value', name: 's', min: 0, max: sec(s.start + s.failed.length * s.binMs, t0) },
      yAxis: { type: 'value', name: 'ms' },
      series: [
        { name: 'p50', type: 'line', showSymbol: false, connectNulls: false, itemStyle: { color: PALETTE[0] }, data: s.p50.map((v, i) => [x(i), v]), markLine: markers(faults, t0) },
        { name: 'max', type: 'line', showSymbol: false, connectNulls: false, itemStyle: { color: '#ff7f0e' }, data: s.max.map((v, i) => [x(i), v]) },
      ],
    },
    960,
    220,
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
      if (last !== null) leaderChanges.push({ at: s.start + i * s.binMs, label: `leader ${l}`, color: '#9467bd' });
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
        { name: 'writes', type: 'line', step: 'middle', showSymbol: false, itemStyle: { color: FAILED_COLOR }, lineStyle: { width: 3 }, data: ratio(s.writesOk, s.writesFailed), markLine: markers(faults, t0, leaderChanges) },
        { name: 'linearizable reads', type: 'line', step: 'middle', showSymbol: false, itemStyle: { color: PALETTE[0] }, data: ratio(s.linearizableOk, s.linearizableFailed) },
        { name: 'serializable reads', type: 'line', step: 'middle', showSymbol: false, itemStyle: { color: PALETTE[1] }, lineStyle: { type: 'dashed' }, data: ratio(s.serializableOk, s.serializableFailed) },
      ],
    },
    960,
    260,
  );
}
