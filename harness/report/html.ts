import type { AssertionResult, Journal, PhaseMetrics } from '../core/journal.js';
import { formatLocality } from '../core/locality.js';
import { DATA_PLANE_TEXT, dataPlaneFacts } from './data-plane.js';
import { escapeXml } from './escape.js';
import { sidecarAccountHtml } from './sidecar-account.js';
import { controlPlaneChart, latencyChart, localityColours, timelineChart } from './charts.js';
import { fmtMs, fmtPct, fmtTime, formatActual, relative } from './format.js';
import { capacityCells, controlPlaneCells, failoverSummary, invocationText, isPerInjection, NOT_INJECTED, worstInjectionRecovery, summaryCells, type FailoverSummary, type Figure } from './failover-summary.js';

// report.html: one self-contained file (inline CSS, inline SVG charts, no
// script, no external resource) a reviewer can open offline.

const esc = escapeXml;

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1000px;padding:16px;color:#222}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd} h3{font-size:15px;margin:18px 0 6px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}
.passed{background:#1a7f37}.failed{background:#b42318}.unverified{background:#595959}.aborted{background:#9a4a00}.error{background:#7f1d1d}.crashed{background:#7f1d1d}
.meta{color:#555} table{border-collapse:collapse;margin:6px 0} td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
tr.fail td{background:#fde8e8} tr.pass td:first-child{color:#1a7f37} tr.fail td:first-child{color:#a40e26} .pass>.mark{color:#1a7f37} .fail>.mark{color:#a40e26}
.figures span{display:inline-block;margin-right:18px} .figures b{font-size:16px}
.topo{display:flex;flex-wrap:wrap;gap:8px} .box{border:1px solid #bbb;border-radius:6px;padding:4px 8px;margin:4px 0}
.region{background:#f7f7fb}.zone{background:#fff}.subzone{background:#fafafa}
.node{display:inline-block;border:1px solid #999;border-radius:4px;padding:1px 6px;margin:2px;font-size:12px}
.chip{display:inline-block;border-radius:3px;padding:0 4px;margin:1px;font-size:11px;background:#e8f0fe}
.down{background:#fde8e8!important;border-color:#d62728!important;color:#a00} .chip.client{background:#fff7e0}
.chart svg{max-width:100%;height:auto} .small{font-size:12px;color:#666}
tr.shed td{background:#fff4e0} #tiles{display:flex;gap:10px;flex-wrap:wrap;margin:8px 0} .tile{border:1px solid #ddd;border-radius:6px;padding:4px 10px;min-width:140px} .tile b{font-size:18px}
#failover-summary td.missed{background:#fde8e8;font-weight:600} #failover-summary td.unverified{background:#fff4d6;font-weight:600} #failover-summary .destination{font-weight:600} .untouched{color:#555}
`;

const fmtS = (ms: number) => `${Number((ms / 1000).toFixed(2))} s`;

function assertionRows(assertions: readonly AssertionResult[]): string {
  if (assertions.length === 0) return '<p><em>No assertions were evaluated.</em></p>';
  // When something failed, the failures stand alone and the passing ones fold under one line.
  const failed = assertions.filter((a) => !a.passed);
  if (failed.length > 0 && failed.length < assertions.length) {
    const passed = assertions.filter((a) => a.passed);
    return `${assertionTable(failed, 'assertions')}<details id="passed-assertions"><summary>${passed.length} passed</summary>${assertionTable(passed, 'assertions-passed')}</details>`;
  }
  return assertionTable(assertions, 'assertions');
}

function assertionTable(assertions: readonly AssertionResult[], id: string): string {
  const rows = assertions.map(
    (a) =>
      `<tr class="assertion ${a.passed ? 'pass' : 'fail'}${a.unverified ? ' unverified' : ''}${a.override ? ' override' : ''}" data-name="${esc(a.name)}"><td>${a.passed ? '✓' : '✗'}</td><td><code>${esc(a.name)}</code>${a.override ? ` <span class="small">from --assert${a.override.replaces !== null ? `, replaces <code>${esc(a.override.replaces)}</code>` : ', added'}</span>` : ''}</td><td>${a.unverified ? `<b>unverified</b>: ${esc(a.unverified)}` : esc(formatActual(a.actual, a.metric))}</td></tr>`,
  );
  return `<table id="${id}"><tr><th></th><th>assertion</th><th>actual</th></tr>${rows.join('')}</table>`;
}

function phaseRows(phases: Record<string, PhaseMetrics>): string {
  const row = (name: string, p: PhaseMetrics) =>
    `<tr><td>${name}</td><td>${p.requests}</td><td>${p.failed}</td><td>${fmtPct(p.errorRate)}</td><td>${fmtMs(p.blackoutMs)}</td><td>${fmtMs(p.latencyMs?.p50)} / ${fmtMs(p.latencyMs?.p99)} / ${fmtMs(p.latencyMs?.max)}</td><td>${fmtPct(p.locality.sameSubzone)} / ${fmtPct(p.locality.sameZone)} / ${fmtPct(p.locality.sameRegion)}</td><td>${esc(
      Object.entries(p.servedBy.zone)
        .sort(([, a], [, b]) => b - a)
        .map(([k, v]) => `${k} ${fmtPct(v)}`)
        .join(', ') || '—',
    )}</td></tr>`;
  return `<table><tr><th>phase</th><th>requests</th><th>failed</th><th>error rate</th><th>longest blackout</th><th>latency p50 / p99 / max</th><th>same subzone / zone / region</th><th>served by zone</th></tr>${['baseline', 'fault', 'recovery']
    .map((p) => row(p, phases[p]!))
    .join('')}</table>`;
}

/** Regions → zones → subzones → nodes, with what the faults took down in red. */
function topology(j: Journal): string {
  const down = new Set(j.faults.flatMap((f) => f.affected));
  const members = j.controlPlane ? new Set(j.controlPlane.members) : new Set<string>();
  const tree = new Map<string, Map<string, Map<string, typeof j.topology.nodes>>>();
  for (const n of j.topology.nodes) {
    const r = tree.get(n.locality.region) ?? tree.set(n.locality.region, new Map()).get(n.locality.region)!;
    const z = r.get(n.locality.zone) ?? r.set(n.locality.zone, new Map()).get(n.locality.zone)!;
    (z.get(n.locality.subzone) ?? z.set(n.locality.subzone, []).get(n.locality.subzone)!).push(n);
  }
  const cp = j.controlPlane?.placement;
  const nodeHtml = (n: Journal['topology']['nodes'][number]) => {
    const isDown = down.has(n.name) || (n.instances.length > 0 && n.instances.every((i) => down.has(i)));
    const chips = [
      ...n.instances.map((i) => `<span class="chip${down.has(i) ? ' down' : ''}">${esc(i)}</span>`),
      ...(n.client ? ['<span class="chip client">client</span>'] : []),
    ];
    return `<span class="node${isDown ? ' down' : ''}" data-node="${esc(n.name)}">${esc(n.name)} ${chips.join('')}</span>`;
  };
  const memberChips = (zoneKey: string) =>
    (cp?.membersByZone?.[zoneKey] ?? []).map((m) => `<span class="chip${down.has(m) ? ' down' : ''}">etcd ${esc(m)}</span>`).join('');
  const regions = [...tree].map(([region, zones]) => {
    const zoneHtml = [...zones].map(([zone, subzones]) => {
      const inner = [...subzones]
        .map(([subzone, nodes]) => (subzone ? `<div class="box subzone"><b>${esc(subzone)}</b><br>${nodes.map(nodeHtml).join('')}</div>` : nodes.map(nodeHtml).join('')))
        .join('');
      return `<div class="box zone"><b>${esc(zone)}</b> ${members.size ? memberChips(`${region}/${zone}`) : ''}<br>${inner}</div>`;
    });
    return `<div class="box region"><b>${esc(region)}</b><div class="topo">${zoneHtml.join('')}</div></div>`;
  });
  return `<div id="topology">${regions.join('')}</div><p class="small">Red: taken down by the fault.</p>`;
}

/** The key numbers, first: the headline time, what failed, the verdict's count, and the control plane or capacity figure. */
function tilesHtml(j: Journal): string {
  const perInjection = isPerInjection(j);
  const runLevel = j.clients.filter((c) => c.phases.fault.failed > 0 && c.recoveryTimeMs !== undefined).map((c) => c.recoveryTimeMs);
  const worst = perInjection ? worstInjectionRecovery(j) : runLevel.length === 0 ? undefined : runLevel.includes(null) ? null : Math.max(...(runLevel as number[]));
  const fault = j.clients.reduce((n, c) => ({ failed: n.failed + c.phases.fault.failed, requests: n.requests + c.phases.fault.requests }), { failed: 0, requests: 0 });
  const tiles = [
    ['worst recovery' + (perInjection ? ' (per injection)' : ''), worst === undefined ? 'no client failed' : worst === null ? 'never' : fmtMs(worst)],
    ['failed during the fault', `${fault.failed} of ${fault.requests}`],
    ['assertions', `${j.metrics.assertionsPassed} passed, ${j.metrics.assertionsFailed} failed`],
    ...(j.controlPlane ? [['writes unavailable', fmtMs(j.controlPlane.writeUnavailableMs)]] : []),
    ...(j.capacity ? [['shed by instances', String(j.capacity.shed)]] : []),
  ];
  return `<div id="tiles">${tiles.map(([k, v]) => `<div class="tile"><span class="small">${esc(k!)}</span><br><b>${esc(v!)}</b></div>`).join('')}</div>`;
}

/** The failover summary: the first thing under the verdict, before any chart. */
function summaryHtml(s: FailoverSummary): string {
  const cls = (passed: boolean | undefined) => (passed === false ? 'fail' : passed === true ? 'pass' : '');
  const mark = (passed: boolean | undefined) => (passed === false ? '✗' : passed === true ? '✓' : '');
  const rows = s.rows.map((r) => {
    const c = summaryCells(r);
    const cell = (f: Figure, text: string) => `<td class="${f.unverified ? 'unverified' : f.passed === false ? 'missed' : ''}">${esc(text)}</td>`;
    const injection = s.perInjection ? `<td class="injection">${esc(r.injection?.label ?? 'no injection touched it')}</td>` : '';
    return `<tr class="summary-row ${cls(r.passed)}" data-client="${esc(r.client)}"${r.injection ? ` data-injection="${r.injection.index}"` : ''}><td><span class="mark">${mark(r.passed)}</span> <b>${esc(r.client)}</b></td>${injection}<td class="destination">${esc(c.destination)}</td>${cell(r.failover, c.failover)}${cell(r.recovery, c.recovery)}<td>${esc(c.cost)}</td>${cell(r.failback, c.failback)}<td class="judged">${esc(c.judged)}</td></tr>`;
  });
  const parts = ['<section id="failover-summary"><h2>Failover summary</h2>'];
  if (s.perInjection) parts.push('<p class="small">One row per client and injection that touched it: each figure counts from that injection and its own revert, against its <code>injection(N)</code> budget.</p>');
  const head = `<tr><th>client</th>${s.perInjection ? '<th>injection</th>' : ''}<th>home → served during the fault</th><th>time to failover</th><th>recovery</th><th>cost</th><th>failback</th><th>also judged on</th></tr>`;
  if (rows.length > 0) parts.push(`<table>${head}${rows.join('')}</table>`);
  if (s.notInjected) parts.push(`<p class="not-injected">${esc(NOT_INJECTED)}</p>`);
  if (s.untouched.length > 0) parts.push(`<p class="untouched">Untouched by the fault (no failed request, served where they always were): ${esc(s.untouched.join(', '))}</p>`);
  if (s.capacity) parts.push(`<p class="capacity ${cls(s.capacity.passed)}"><span class="mark">${mark(s.capacity.passed)}</span> <b>capacity</b>: ${esc(capacityCells(s.capacity))}${s.capacity.judged.length ? ` · ${esc(s.capacity.judged.map((x) => `${x.passed ? '✓' : '✗'} ${x.metric} ${x.actual} (${x.budget})`).join(' · '))}` : ''}</p>`);
  if (s.controlPlane) parts.push(`<p class="control-plane ${cls(s.controlPlane.passed)}"><span class="mark">${mark(s.controlPlane.passed)}</span> <b>control plane</b>: ${esc(controlPlaneCells(s.controlPlane))}</p>`);
  if (rows.length === 0 && s.untouched.length === 0 && !s.controlPlane && !s.notInjected) parts.push('<p>No client traffic was measured.</p>');
  parts.push('</section>');
  return parts.join('');
}

/** The data plane, and what of the policy it did not put in force or was not held to: said before any figure. */
function dataPlaneHtml(j: Journal): string {
  const f = dataPlaneFacts(j);
  const list = (items: string[]) => `<ul>${items.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`;
  return [
    `<div id="data-plane" class="meta"><p>Data plane: <b>${esc(f.dataPlane)}</b>${f.notInForce.length ? '' : DATA_PLANE_TEXT.wholePolicy}</p>`,
    f.notInForce.length ? `<p>${DATA_PLANE_TEXT.notInForce}</p>${list(f.notInForce)}` : '',
    f.notExpected.length ? `<p>${DATA_PLANE_TEXT.notExpected}</p>${list(f.notExpected)}` : '',
    '</div>',
  ].join('');
}

export function renderHtml(j: Journal): string {
  const t0 = j.clients[0]?.phases.baseline.start ?? Date.parse(j.startedAt);
  const parts: string[] = [];
  parts.push(
    `<h1>${esc(j.experiment)} <span class="verdict ${j.status}" id="verdict">${j.status.toUpperCase()}</span></h1>`,
    `<p>${esc(j.description)}</p>`,
    `<p class="meta">Provider <b>${esc(j.provider)}</b> (${esc(j.isolation)} isolation) · run ${esc(j.runId)} · ${esc(j.startedAt)} · ${j.settings.ratePerClient} req/s per client · assertions ${j.metrics.assertionsPassed} passed, ${j.metrics.assertionsFailed} failed</p>`,
    ...(j.metrics.afterStop ? [`<p class="meta small">${j.metrics.afterStop} request${j.metrics.afterStop === 1 ? ' was' : 's were'} sent as traffic stopped: in the records, in no phase or figure.</p>`] : []),
    `<p class="meta${j.settings.overrides?.length ? ' overridden' : ''}" id="invocation">Phases ${fmtS(j.settings.phasesMs.baseline)} baseline, ${fmtS(j.settings.phasesMs.fault)} fault, ${fmtS(j.settings.phasesMs.recovery)} recovery · fault modes ${esc([...new Set(j.faults.map((f) => f.mode ?? 'default'))].join(', ') || 'none injected')} · ${j.settings.overrides?.length ? '<b>' : ''}${esc(invocationText(j))}${j.settings.overrides?.length ? '</b>' : ''}</p>`,
  );
  parts.push(dataPlaneHtml(j));
  if (j.error) parts.push(`<p class="verdict error">Error: ${esc(j.error)}</p>`);
  if (j.status === 'unverified') parts.push('<p class="verdict unverified" id="unverified">No assertions: nothing was verified.</p>');
  // One summary for the page: the table and the folding of untouched clients read the same one.
  const summary = failoverSummary(j);
  parts.push(tilesHtml(j), summaryHtml(summary));
  // Failed assertions first: what needs the reviewer's attention.
  parts.push('<h2>Assertions</h2>', assertionRows([...j.assertions].sort((a, b) => Number(a.passed) - Number(b.passed))));
  parts.push(
    '<h2>Faults</h2><table id="faults"><tr><th>#</th><th>fault</th><th>target</th><th>affected</th><th>injected</th><th>late</th><th>reverted</th><th>back</th></tr>',
    ...j.faults.map((f, i) => `<tr><td>${i}</td><td>${esc(f.kind)}${f.mode ? ` (${esc(f.mode)})` : ''}</td><td>${esc(f.target)}</td><td>${esc(f.affected.join(', '))}</td><td>${relative(j, f.injectedAtMs)}</td><td>${f.lateMs === undefined ? '–' : `${Math.round(f.lateMs)} ms`}</td><td>${relative(j, f.revertedAtMs)}</td><td>${relative(j, f.revertReadyAtMs ?? f.revertedAtMs)}</td></tr>`),
    '</table>',
  );
  if (j.faults.length > 1 && j.faults.some((f) => f.impact)) {
    parts.push(
      '<h3>Each injection, per client</h3><table id="injection-impact"><tr><th>#</th><th>client</th><th>failed</th><th>recovery</th><th>failover</th><th>failback</th></tr>',
      ...j.faults.flatMap((f, i) => Object.entries(f.impact ?? {}).map(([client, x]) => `<tr><td>${i}</td><td>${esc(client)}</td><td>${x.failed}/${x.requests}</td><td>${fmtMs(x.recoveryTimeMs)}</td><td>${fmtMs(x.timeToFailoverMs)}</td><td>${fmtMs(x.failbackTimeMs)}</td></tr>`)),
      '</table>',
    );
  }
  if (j.capacity) {
    const c = j.capacity;
    parts.push(
      '<h2>Capacity</h2>',
      `<p class="figures"><span>${c.loadRps} req/s on ${c.capacityRps} req/s: <b>${c.baselineHeadroom.toFixed(2)}×</b> before, <b>${c.worstHeadroom.toFixed(2)}×</b> at the worst moment</span><span>predicted <b>${c.predictedOverload ? 'overload' : 'absorbed'}</b></span><span>shed <b>${c.shed}</b></span><span>prediction <b>${c.agrees ? 'held' : 'did not hold'}</b></span></p>`,
      `<table id="capacity"><tr><th>instance</th><th>capacity</th><th>served</th><th>shed</th><th>longest queue</th></tr>${c.instances.map((i) => `<tr class="${i.shed > 0 ? (c.agrees ? 'shed' : 'fail') : ''}"><td>${esc(i.instance)}</td><td>${i.capacityRps} req/s</td><td>${i.served}</td><td>${i.shed}</td><td>${fmtMs(i.maxQueueMs)}</td></tr>`).join('')}</table>`,
    );
  }
  if (j.dataPlane) parts.push(sidecarAccountHtml(j, j.dataPlane));
  parts.push('<h2>Topology</h2>', topology(j));
  if (j.controlPlane) {
    const cp = j.controlPlane;
    const placement = cp.placement;
    parts.push(
      '<h2>Control plane</h2>',
      `<ul>${placement.findings.map((f) => `<li>${f.quorumLost ? '<b class="lost">quorum lost:</b>' : 'ok:'} ${esc(f.message)}</li>`).join('')}${placement.overheadOneZone ? `<li>Service over ${placement.serviceZones} zones: surviving one zone needs <b>${placement.overheadOneZone.toFixed(2)}×</b> capacity</li>` : ''}</ul>`,
      `<p class="figures"><span>write unavailability <b>${fmtMs(cp.writeUnavailableMs)}</b></span><span>leader ${esc(cp.initialLeader ?? '—')} → ${esc(cp.finalLeader ?? '—')} (${cp.leaderChanges} change${cp.leaderChanges === 1 ? '' : 's'})</span><span>read-only <b>${cp.readOnly ? 'yes' : 'no'}</b></span><span>lost acknowledged writes <b>${cp.lostAcknowledgedWrites ?? 'not verified'}</b> of ${cp.acknowledgedWrites}</span></p>`,
    );
    if (cp.series) parts.push(`<div class="chart" id="chart-control-plane">${controlPlaneChart(cp, j.faults, t0)}</div>`);
  }
  parts.push('<h2>Clients</h2>');
  // One colour per locality for the whole page, whichever client's chart it is in.
  const colours = localityColours(j.clients.flatMap((c) => c.series?.groups ?? []));
  const perInjection = isPerInjection(j);
  const budgetOf = (c: string, metric: string) => j.assertions.find((a) => a.client === c && a.metric === metric && (a.op === '<' || a.op === '<=') && a.expected !== null)?.expected ?? undefined;
  const untouched = new Set(summary.untouched);
  for (const c of j.clients) {
    // A client the fault never touched folds away: its charts are there, one click down.
    if (untouched.has(c.name)) parts.push(`<details class="untouched-client" data-client="${esc(c.name)}"><summary>${esc(c.name)}: untouched by the fault (charts and phases)</summary>`);
    // With several injections the run-level figures count from the first one: each injection's own instead.
    const figures = perInjection
      ? j.faults.map((f, n) => { const im = f.impact![c.name]!; return `<span>injection(${n}): recovery <b>${fmtTime(im.recoveryTimeMs)}</b>, failover <b>${fmtTime(im.timeToFailoverMs)}</b>, failback <b>${fmtTime(im.failbackTimeMs)}</b></span>`; }).join('')
      : `<span>recovery time <b>${fmtMs(c.recoveryTimeMs)}</b></span><span>time to failover <b>${fmtMs(c.timeToFailoverMs)}</b></span><span>failback <b>${fmtMs(c.failbackTimeMs)}</b></span>`;
    parts.push(
      `<h3 id="client-${esc(c.name)}">${esc(c.name)} <span class="small">${esc(formatLocality(c.locality))}</span></h3>`,
      `<p class="figures">${figures}<span class="small">resolution ±${fmtMs(c.resolutionMs)}</span></p>`,
    );
    if (c.series) {
      const budget = budgetOf(c.name, 'recovery.timeMs');
      const budgets = Object.fromEntries(j.faults.map((_, n) => [n, budgetOf(c.name, `injection(${n}).recovery.timeMs`)] as const).filter(([, b]) => b !== undefined)) as Record<number, number>;
      const used = Object.fromEntries(c.series.groups.map((g) => [g || '(none)', colours.get(g) ?? '#999999']));
      parts.push(`<div class="chart timeline" data-client="${esc(c.name)}" data-colours="${esc(JSON.stringify(used))}">${timelineChart(c, j.faults, t0, budget, colours, budgets)}</div>`);
      parts.push(`<div class="chart latency" data-client="${esc(c.name)}">${latencyChart(c, j.faults, t0)}</div>`);
    }
    parts.push(phaseRows(c.phases));
    if (untouched.has(c.name)) parts.push('</details>');
  }
  parts.push(
    '<h2>Files</h2><p class="small">report.json (the journal) · report.md · junit.xml · records/*.ndjson (every request) · sidecars/ (each Envoy sidecar’s bootstrap and EDS file) · logs/</p>',
    `<p class="small">Time figures are bounded by the request interval (${fmtMs(1000 / j.settings.ratePerClient)}); recovery uses ${fmtMs(j.settings.recoveryWindowMs)} windows at a ${fmtPct(j.settings.recoveryThreshold)} success threshold. Charts bin requests by send time.</p>`,
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(j.experiment)}: ${j.status}</title><style>${CSS}</style></head><body>${parts.join('\n')}</body></html>\n`;
}
