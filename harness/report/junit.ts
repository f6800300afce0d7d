import type { Journal } from '../core/journal.js';
import { escapeXml } from './escape.js';
import { formatActual } from './format.js';
import { failoverSummary, invocationText, overrideText, summaryCells } from './failover-summary.js';

// junit.xml: one test case per assertion, for CI test tabs. Each case is
// classed by experiment and client, carries its figure (value, unit,
// threshold, client) as properties, and, for a time figure, takes that time as
// its duration, so a CI tab's durations column reads as recovery and failover
// times. Other cases take no time.

/** The unit a metric is in, for readers of the XML. */
function unitOf(metric: string): string {
  if (/Ms$|latency/.test(metric)) return 'ms';
  if (/errorRate|locality|servedBy|tier|Availability|Headroom/.test(metric)) return 'ratio';
  return 'count';
}

const esc = escapeXml;

export function renderJunit(j: Journal): string {
  const seconds = ((Date.parse(j.finishedAt) - Date.parse(j.startedAt)) / 1000).toFixed(3);
  const failures = j.assertions.filter((a) => !a.passed).length;
  const errors = j.status === 'error' || j.status === 'aborted' ? 1 : 0;
  const cases = j.assertions.map((a) => {
    const unit = unitOf(a.metric);
    const time = unit === 'ms' && typeof a.actual === 'number' ? (a.actual / 1000).toFixed(3) : '0';
    const actual = formatActual(a.actual, a.metric);
    const expected = `${a.op} ${formatActual(a.expected, a.metric)}`;
    const props = [
      ['client', a.client || '(run)'],
      ['metric', a.metric],
      ['value', a.actual === null ? 'never' : String(a.actual)],
      ['unit', unit],
      ['threshold', expected],
      ['source', a.override ? '--assert' : 'experiment'],
      ...(a.override ? [['replaces', a.override.replaces ?? '(added)']] : []),
    ]
      .map(([name, value]) => `        <property name="${name}" value="${esc(value!)}"/>`)
      .join('\n');
    const open = `    <testcase classname="${esc(j.experiment)}.${esc(a.client || 'run')}" name="${esc(a.name)}" time="${time}">\n      <properties>\n${props}\n      </properties>`;
    const out = `      <system-out>${esc(`${a.metric}: ${actual} (expected ${expected})`)}</system-out>`;
    if (a.passed) return `${open}\n${out}\n    </testcase>`;
    if (a.unverified) return `${open}\n      <failure message="${esc(`unverified: ${a.unverified}`)}" type="Unverified">${esc(`${a.unverified}${a.client ? `\nclient: ${a.client}` : ''}`)}</failure>\n${out}\n    </testcase>`;
    const msg = `${a.client ? `${a.client}: ` : ''}expected ${a.metric} ${expected}, got ${actual}`;
    return `${open}\n      <failure message="${esc(msg)}" type="AssertionFailed">${esc(`actual: ${actual}\nexpected: ${expected}${a.client ? `\nclient: ${a.client}` : ''}`)}</failure>\n${out}\n    </testcase>`;
  });
  if (j.status === 'unverified') {
    cases.push(`    <testcase classname="${esc(j.experiment)}" name="run" time="${seconds}">\n      <skipped message="no assertions: nothing was verified"/>\n    </testcase>`);
  }
  if (errors) {
    cases.push(`    <testcase classname="${esc(j.experiment)}" name="run" time="${seconds}">\n      <error message="${esc(`run ${j.status}${j.error ? `: ${j.error}` : ''}`)}" type="${j.status}"/>\n    </testcase>`);
  }
  // How the run was invoked, and its summary rows (one per client and injection), for a CI tab that shows the suite.
  const suiteProps = [
    ['runId', j.runId],
    ['provider', `${j.provider} (${j.isolation})`],
    ['modes', [...new Set(j.faults.map((f) => f.mode ?? 'default'))].join(', ') || 'none injected'],
    ['ratePerClient', String(j.settings.ratePerClient)],
    ['phasesMs', `${j.settings.phasesMs.baseline}/${j.settings.phasesMs.fault}/${j.settings.phasesMs.recovery}`],
    ['invocation', invocationText(j)],
    ...(j.settings.overrides ?? []).map((o) => ['override', overrideText(o)]),
  ]
    .map(([name, value]) => `      <property name="${name}" value="${esc(value!)}"/>`)
    .join('\n');
  const summary = failoverSummary(j).rows.map((r) => {
    const c = summaryCells(r);
    return `${r.client}${r.injection ? ` · ${r.injection.label}` : ''}: ${c.destination}; failover ${c.failover}; recovery ${c.recovery}; ${c.cost}; failback ${c.failback}; ${c.judged}`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="failover-harness" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${seconds}">`,
    `  <testsuite name="${esc(j.experiment)}" tests="${cases.length}" failures="${failures}" errors="${errors}"${j.status === 'unverified' ? ' skipped="1"' : ''} time="${seconds}" timestamp="${esc(j.startedAt)}">`,
    `    <properties>\n${suiteProps}\n    </properties>`,
    ...cases,
    ...(summary.length ? [`    <system-out>${esc(summary.join('\n'))}</system-out>`] : []),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
