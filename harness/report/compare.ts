import type { Journal, PhaseMetrics } from '../core/journal.js';
import { escapeXml } from './escape.js';
import { fmtMs, fmtPct, fmtTime } from './format.js';
import { dataPlaneFacts } from './data-plane.js';
import { isPerInjection } from './failover-summary.js';


// `npm run report -- --compare DIR...`: runs of one experiment side by side,
// on different data planes or providers (or the same one twice): per client,
// time to failover, recovery, failback, failed requests and locality per
// phase, what ran the data plane, which parts of the failover policy it put
// in force and which assertions it was not held to. Pure: the CLI reads the journals.

export interface CompareColumn {
  dir: string;
  label: string;
  /** What carried the traffic: local Envoy sidecars, or the kind provider's mesh. */
  dataPlane: string;
  journal: Journal;
}

export interface CompareRow {
  client: string;
  figure: string;
  /** One cell per column, formatted. */
  cells: string[];
  /** Whether the columns disagree (a reviewer's eye goes there first). */
  differs: boolean;
}

/** Checks the runs can be compared: at least two, all of one experiment. Returns what is wrong, or null. */
export function compareProblem(columns: readonly { dir: string; journal: Journal }[]): string | null {
  if (columns.length < 2) return `--compare needs at least two run folders, got ${columns.length}`;
  const names = new Set(columns.map((c) => c.journal.experiment));
  if (names.size > 1) return `--compare puts runs of one experiment side by side; these are of ${[...names].join(', ')} (${columns.map((c) => `${c.dir}: ${c.journal.experiment}`).join('; ')})`;
  return null;
}

const PHASES = ['baseline', 'fault', 'recovery'] as const;

/** A recorded list, one part per line, or `none`. */
const listOrNone = (parts: string[], none: string): string => (parts.length ? parts.join('\n') : none);

/** How a run was invoked, in one line: fault modes, rate, phases, and what the command line changed. */
export function invocationOf(j: Journal): string {
  const s = j.settings;
  const modes = [...new Set(j.faults.map((f) => f.mode ?? 'default'))].join(', ') || 'no fault injected';
  const changed = s.overrides === undefined ? 'changes not recorded' : s.overrides.length === 0 ? 'as written' : `overridden: ${s.overrides.map((o) => `${o.option} ${o.value}`).join('; ')}`;
  return `${modes} · ${s.ratePerClient} req/s · phases ${s.phasesMs.baseline / 1000}/${s.phasesMs.fault / 1000}/${s.phasesMs.recovery / 1000} s · ${changed}`;
}

/**
 * A time figure per column, with its difference from the first column; the
 * row is highlighted only when the runs differ by more than the coarsest
 * resolution among them (two runs 40 ms apart at a 50 ms request interval
 * did not differ).
 */
function timeCells(values: (number | null | undefined)[], resolutionMs: number): { cells: string[]; differs: boolean } {
  const first = values[0];
  const cells = values.map((v, i) => {
    if (v === undefined) return 'not in this run';
    const text = fmtTime(v);
    if (i === 0 || typeof v !== 'number' || typeof first !== 'number') return text;
    const d = v - first;
    return `${text} (${d >= 0 ? '+' : '−'}${fmtMs(Math.abs(d))})`;
  });
  const numbers = values.filter((v): v is number => typeof v === 'number');
  const kinds = new Set(values.map((v) => (typeof v === 'number' ? 'n' : String(v))));
  const differs = kinds.size > 1 || (numbers.length > 1 && Math.max(...numbers) - Math.min(...numbers) > resolutionMs);
  return { cells, differs };
}

export function compareRows(columns: readonly CompareColumn[]): CompareRow[] {
  const clients = [...new Set(columns.flatMap((c) => c.journal.clients.map((x) => x.name)))];
  const rows: CompareRow[] = [];
  const push = (client: string, figure: string, cells: string[]) => rows.push({ client, figure, cells, differs: new Set(cells).size > 1 });
  const pushTime = (client: string, figure: string, values: (number | null | undefined)[], resolutionMs: number) => rows.push({ client, figure, ...timeCells(values, resolutionMs) });
  push('', 'invocation', columns.map((c) => invocationOf(c.journal)));
  push('', 'verdict', columns.map((c) => `${c.journal.status}${c.journal.assertions.length ? ` (${c.journal.metrics.assertionsFailed} of ${c.journal.assertions.length} assertions failed)` : ''}`));
  // What of the one failover policy each data plane put in force, and which assertions it was not held to.
  const facts = columns.map((c) => dataPlaneFacts(c.journal));
  push('', 'policy not in force', facts.map((f) => listOrNone(f.notInForce, 'none: the whole policy was in force')));
  push('', 'assertions not expected', facts.map((f) => listOrNone(f.notExpected, 'none')));
  for (const name of clients) {
    const of = (c: CompareColumn) => c.journal.clients.find((x) => x.name === name);
    const phase = (c: CompareColumn, p: (typeof PHASES)[number]): PhaseMetrics | undefined => of(c)?.phases[p];
    const resolution = Math.max(0, ...columns.map((c) => of(c)?.resolutionMs ?? 0));
    // A run of several injections: each injection's own figures (the run-level ones count from the first).
    // Per injection only when every column is (a column without per-injection windows would read "not in this run").
    const injections = columns.every((c) => isPerInjection(c.journal)) ? Math.max(...columns.map((c) => c.journal.faults.length)) : 0;
    if (injections > 0) {
      for (let n = 0; n < injections; n++) {
        const im = (c: CompareColumn) => (of(c) ? c.journal.faults[n]?.impact?.[name] : undefined);
        pushTime(name, `injection(${n}) time to failover`, columns.map((c) => im(c)?.timeToFailoverMs), resolution);
        pushTime(name, `injection(${n}) recovery`, columns.map((c) => im(c)?.recoveryTimeMs), resolution);
        pushTime(name, `injection(${n}) failback`, columns.map((c) => im(c)?.failbackTimeMs), resolution);
      }
    } else {
      pushTime(name, 'time to failover', columns.map((c) => of(c)?.timeToFailoverMs), resolution);
      pushTime(name, 'recovery', columns.map((c) => of(c)?.recoveryTimeMs), resolution);
      pushTime(name, 'failback', columns.map((c) => of(c)?.failbackTimeMs), resolution);
    }
    push(name, 'failed during the fault', columns.map((c) => (phase(c, 'fault') ? `${phase(c, 'fault')!.failed}/${phase(c, 'fault')!.requests}, longest blackout ${fmtMs(phase(c, 'fault')!.blackoutMs)}` : 'not in this run')));
    for (const p of PHASES) {
      push(name, `${p}: same zone / region`, columns.map((c) => (phase(c, p) ? `${fmtPct(phase(c, p)!.locality.sameZone)} / ${fmtPct(phase(c, p)!.locality.sameRegion)}` : 'not in this run')));
    }
    push(
      name,
      'served during the fault (zone)',
      columns.map((c) => {
        const shares = Object.entries(phase(c, 'fault')?.servedBy.zone ?? {}).sort(([, a], [, b]) => b - a);
        return shares.length ? shares.map(([z, s]) => `${z} ${fmtPct(s)}`).join(', ') : 'nowhere';
      }),
    );
  }
  return rows;
}

const esc = escapeXml;

/** A cell of several lines (a list of policy parts) as a bulleted list; one line as text. */
function cellHtml(text: string): string {
  const lines = text.split('\n');
  return lines.length > 1 ? `<ul class="parts">${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>` : esc(text);
}

export function renderCompareHtml(columns: readonly CompareColumn[]): string {
  const rows = compareRows(columns);
  const head = columns.map((c) => `<th><a href="${esc(c.dir)}/report.html">${esc(c.label)}</a><br><span class="small">${esc(c.dataPlane)}<br>${esc(invocationOf(c.journal))}</span></th>`).join('');
  const body = rows
    .map((r) => `<tr class="${r.differs ? 'differs' : ''}" data-client="${esc(r.client)}"><td>${esc(r.client || 'run')}</td><td>${esc(r.figure)}</td>${r.cells.map((x) => `<td>${cellHtml(x)}</td>`).join('')}</tr>`)
    .join('');
  const experiment = columns[0]!.journal.experiment;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(experiment)}: compared</title><style>body{font:14px/1.45 system-ui,sans-serif;max-width:1300px;margin:0 auto;padding:16px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}tr.differs td{background:#fff7e0}ul.parts{margin:0;padding-left:18px}.small{font-size:12px;color:#666}</style></head><body><h1>${esc(experiment)}: ${columns.length} runs side by side</h1><p class="small">Rows where the runs differ are highlighted (times only beyond the coarsest request interval of the runs; each later column's time shows its difference from the first). Times are from the injection of the fault, in a run of several injections from each one's own; "never" means it did not happen within the run.</p><table id="compare"><tr><th>client</th><th>figure</th>${head}</tr>${body}</table></body></html>\n`;
}

export function renderCompareMarkdown(columns: readonly CompareColumn[]): string {
  const rows = compareRows(columns);
  const out = [`# ${columns[0]!.journal.experiment}: ${columns.length} runs side by side`, ''];
  out.push(`| client | figure | ${columns.map((c) => `${c.label} (${c.dataPlane}; ${invocationOf(c.journal)})`).join(' | ')} |`, `|---|---|${columns.map(() => '---').join('|')}|`);
  for (const r of rows) out.push(`| ${r.client || 'run'} | ${r.differs ? `**${r.figure}**` : r.figure} | ${r.cells.map((x) => x.replaceAll('|', '\\|').replaceAll('\n', '<br>')).join(' | ')} |`);
  out.push('', 'Figures in bold differ between the runs.', '');
  return out.join('\n');
}
