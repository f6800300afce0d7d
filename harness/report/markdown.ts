import { sidecarAccountMarkdown } from './sidecar-account.js';
import { DATA_PLANE_TEXT, dataPlaneFacts } from './data-plane.js';
import type { CapacityResult, ControlPlaneResult, Journal, PhaseMetrics } from '../core/journal.js';
import { formatLocality } from '../core/locality.js';
import { fmtMs, fmtPct, formatActual, relative } from './format.js';
import { capacityCells, controlPlaneCells, failoverSummary, invocationText, NOT_INJECTED, summaryCells } from './failover-summary.js';

// report.md: the pull-request summary a reviewer reads in a minute. Plain
// text marks (✓ ✗) only: no emoji, which need a colour font.

const VERDICT: Record<Journal['status'], string> = {
  passed: 'PASSED',
  failed: 'FAILED',
  unverified: 'UNVERIFIED: the experiment has no assertion, nothing was verified',
  aborted: 'ABORTED',
  error: 'ERROR',
  crashed: 'CRASHED: the harness died mid-run; `npm run cleanup` undid what it left, nothing was measured',
};

function topShares(shares: Record<string, number>, n = 3): string {
  const entries = Object.entries(shares).sort(([, a], [, b]) => b - a).slice(0, n);
  return entries.length ? entries.map(([k, v]) => `${k || '(none)'} ${fmtPct(v)}`).join(', ') : '—';
}

function phaseRow(name: string, p: PhaseMetrics): string {
  return `| ${name} | ${p.requests} | ${p.failed} | ${fmtPct(p.errorRate)} | ${fmtMs(p.blackoutMs)} | ${fmtMs(p.latencyMs?.p50)} / ${fmtMs(p.latencyMs?.p99)} | ${fmtPct(p.locality.sameZone)} | ${topShares(p.servedBy.zone)} |`;
}

function controlPlaneSection(cp: ControlPlaneResult): string[] {
  const p = cp.placement;
  const out = ['## Control plane', ''];
  out.push(`${cp.members.length} etcd members (quorum ${p.quorum}): ${Object.entries(p.membersByZone).map(([zone, names]) => `${zone}: ${names.join(', ')}`).join(' · ')}`, '');
  out.push('**Placement check (before injecting):**', '');
  for (const f of p.findings) out.push(`- ${f.quorumLost ? '**quorum lost:**' : 'ok:'} ${f.message}`);
  if (p.overheadOneZone !== null) {
    out.push(`- Service spread over ${p.serviceZones} zones: surviving one zone needs ${p.serviceZones}/${p.serviceZones - 1} = **${p.overheadOneZone.toFixed(2)}×** capacity${p.zonesLost > 1 && p.overheadForFault !== null ? `; surviving the ${p.zonesLost} zones this run takes down needs ${p.serviceZones}/${p.serviceZones - p.zonesLost} = **${p.overheadForFault.toFixed(2)}×**` : ''}.`);
  }
  out.push('');
  out.push(
    `Write unavailability **${fmtMs(cp.writeUnavailableMs)}** · leader ${cp.initialLeader ?? '—'} → ${cp.finalLeader ?? '—'} (${cp.leaderChanges} change${cp.leaderChanges === 1 ? '' : 's'}${cp.leaderLost ? `, new leader after ${fmtMs(cp.leaderElectionMs)}` : ''}) · read-only: **${cp.readOnly ? 'yes' : 'no'}** · writes back after revert in ${fmtMs(cp.writeRecoveryMs)} · lost acknowledged writes: **${cp.lostAcknowledgedWrites ?? 'not verified'}** of ${cp.acknowledgedWrites} · probe interval ${fmtMs(cp.probeIntervalMs)}`,
    '',
  );
  out.push('| phase | writes | linearizable reads | serializable reads |', '|---|---|---|---|');
  for (const phase of ['baseline', 'fault', 'recovery'] as const) {
    const x = cp.phases[phase];
    const cell = (a: { requests: number; failed: number; availability: number }) => `${fmtPct(a.availability)} (${a.failed}/${a.requests} failed)`;
    out.push(`| ${phase} | ${cell(x.writes)} | ${cell(x.linearizableReads)} | ${cell(x.serializableReads)} |`);
  }
  out.push('');
  return out;
}

/** Each injection's own figures, per client (the timeline's windows). */
function impactSection(j: Journal): string[] {
  const out = ['### Each injection, per client', '', '| # | client | failed | recovery | failover | failback |', '|---|---|---|---|---|---|'];
  j.faults.forEach((f, i) => {
    for (const [client, x] of Object.entries(f.impact ?? {})) out.push(`| ${i} | ${client} | ${x.failed}/${x.requests} | ${fmtMs(x.recoveryTimeMs)} | ${fmtMs(x.timeToFailoverMs)} | ${fmtMs(x.failbackTimeMs)} |`);
  });
  out.push('');
  return out;
}

function capacitySection(c: CapacityResult): string[] {
  const out = ['## Capacity', ''];
  out.push(
    `Load ${c.loadRps} req/s on ${c.capacityRps} req/s of capacity: **${c.baselineHeadroom.toFixed(2)}×** before the faults, **${c.worstHeadroom.toFixed(2)}×** at the worst moment (${c.lost.join(', ') || 'nothing'} out). Predicted: ${c.predictedOverload ? '**overload**' : 'the survivors absorb it'}. Measured: **${c.shed}** requests shed. The prediction ${c.agrees ? 'held' : '**did not hold**'}.`,
    '',
    '| instance | capacity | served | shed | longest queue |',
    '|---|---|---|---|---|',
    ...c.instances.map((i) => `| ${i.instance} | ${i.capacityRps} req/s | ${i.served} | ${i.shed} | ${fmtMs(i.maxQueueMs)} |`),
    '',
  );
  return out;
}

function summaryMarkdown(j: Journal): string[] {
  const s = failoverSummary(j);
  const out = ['## Failover summary', ''];
  const mark = (passed: boolean | undefined) => (passed === false ? '✗ ' : passed === true ? '✓ ' : '');
  if (s.perInjection) out.push('One row per client and injection that touched it: each figure counts from that injection and its own revert, against its `injection(N)` budget.', '');
  if (s.rows.length > 0) {
    out.push(`| client |${s.perInjection ? ' injection |' : ''} home → served during the fault | time to failover | recovery | cost | failback | also judged on |`, `|---|${s.perInjection ? '---|' : ''}---|---|---|---|---|---|`);
    for (const r of s.rows) {
      const c = summaryCells(r);
      out.push(`| ${mark(r.passed)}**${r.client}** |${s.perInjection ? ` ${r.injection?.label ?? 'no injection touched it'} |` : ''} ${c.destination} | ${c.failover} | ${c.recovery} | ${c.cost} | ${c.failback} | ${c.judged} |`);
    }
    out.push('');
  }
  if (s.notInjected) out.push(NOT_INJECTED, '');
  if (s.untouched.length > 0) out.push(`Untouched by the fault (no failed request, served where they always were): ${s.untouched.join(', ')}`, '');
  if (s.capacity) out.push(`${mark(s.capacity.passed)}**Capacity**: ${capacityCells(s.capacity)}${s.capacity.judged.length ? ` · ${s.capacity.judged.map((x) => `${x.passed ? '✓' : '✗'} ${x.metric} ${x.actual} (${x.budget})`).join(' · ')}` : ''}`, '');
  if (s.controlPlane) out.push(`${mark(s.controlPlane.passed)}**Control plane**: ${controlPlaneCells(s.controlPlane)}`, '');
  return out;
}

export function renderMarkdown(j: Journal): string {
  const out: string[] = [];
  out.push(`# ${j.experiment}: ${VERDICT[j.status]}`, '', `${j.description}`, '');
  out.push(`Provider \`${j.provider}\` (${j.isolation} isolation) · run \`${j.runId}\` · ${j.startedAt} · ${j.settings.ratePerClient} req/s per client · phases ${fmtMs(j.settings.phasesMs.baseline)} / ${fmtMs(j.settings.phasesMs.fault)} / ${fmtMs(j.settings.phasesMs.recovery)}`, '');
  out.push(`${j.settings.overrides?.length ? '**' : ''}Invocation: ${invocationText(j)}${j.settings.overrides?.length ? '**' : ''}`, '');
  const plane = dataPlaneFacts(j);
  out.push(`Data plane: **${plane.dataPlane}**${plane.notInForce.length ? '' : DATA_PLANE_TEXT.wholePolicy}`, '');
  if (plane.notInForce.length) out.push(DATA_PLANE_TEXT.notInForce, ...plane.notInForce.map((x) => `- ${x}`), '');
  if (plane.notExpected.length) out.push(DATA_PLANE_TEXT.notExpected, ...plane.notExpected.map((x) => `- ${x}`), '');
  if (j.error) out.push(`**Error:** ${j.error}`, '');
  out.push(...summaryMarkdown(j));
  out.push('## Assertions', '');
  if (j.assertions.length === 0) out.push('_No assertions were evaluated._', '');
  else {
    out.push('| | assertion | actual |', '|---|---|---|');
    // Failed first: what needs the reviewer's attention.
    for (const a of [...j.assertions].sort((x, y) => Number(x.passed) - Number(y.passed))) out.push(`| ${a.passed ? '✓' : a.unverified ? '✗ **unverified**' : '✗ **failed**'} | \`${a.name}\`${a.override ? ` (from --assert, ${a.override.replaces !== null ? `replaces \`${a.override.replaces}\`` : 'added'})` : ''} | ${a.unverified ? a.unverified : formatActual(a.actual, a.metric)} |`);
    out.push('');
  }
  // The rest is detail: collapsed, so the summary fits a PR comment or a job summary.
  out.push('<details><summary>Faults, clients and files</summary>', '');
  out.push('## Faults', '', '| # | fault | target | affected | injected | late | reverted | back |', '|---|---|---|---|---|---|---|---|');
  j.faults.forEach((f, i) => out.push(`| ${i} | ${f.kind}${f.mode ? ` (${f.mode})` : ''} | ${f.target} | ${f.affected.join(', ')} | ${relative(j, f.injectedAtMs)} | ${f.lateMs === undefined ? '–' : `${Math.round(f.lateMs)} ms`} | ${relative(j, f.revertedAtMs)} | ${relative(j, f.revertReadyAtMs ?? f.revertedAtMs)} |`));
  out.push('');
  if (j.faults.length > 1 && j.faults.some((f) => f.impact)) out.push(...impactSection(j));
  if (j.capacity) out.push(...capacitySection(j.capacity));
  if (j.dataPlane) out.push(...sidecarAccountMarkdown(j, j.dataPlane));
  if (j.controlPlane) out.push(...controlPlaneSection(j.controlPlane));
  out.push('## Clients', '');
  for (const c of j.clients) {
    out.push(`### ${c.name} (${formatLocality(c.locality)})`, '');
    out.push(
      `Recovery time **${fmtMs(c.recoveryTimeMs)}** · time to failover **${fmtMs(c.timeToFailoverMs)}** · failback **${fmtMs(c.failbackTimeMs)}** · resolution ±${fmtMs(c.resolutionMs)}`,
      '',
    );
    out.push('| phase | requests | failed | error rate | longest blackout | p50 / p99 | same zone | served by zone |', '|---|---|---|---|---|---|---|---|');
    out.push(phaseRow('baseline', c.phases.baseline), phaseRow('fault', c.phases.fault), phaseRow('recovery', c.phases.recovery), '');
  }
  out.push('## Files', '', '- `report.json`: the full journal', '- `junit.xml`: one test case per assertion', `- ${j.records.files.map((f) => `\`${f}\``).join(', ')}: every request (${j.records.count}), one JSON object per line`, '- `sidecars/`: each Envoy sidecar’s bootstrap (what istiod would send it) and EDS file; `logs/`: process logs', '');
  out.push(`Time figures are bounded by the request interval (${fmtMs(1000 / j.settings.ratePerClient)}); recovery uses ${fmtMs(j.settings.recoveryWindowMs)} windows at a ${fmtPct(j.settings.recoveryThreshold)} success threshold.`, '');
  out.push('</details>', '');
  return out.join('\n');
}
