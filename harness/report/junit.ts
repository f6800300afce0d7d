import type { Journal } from '../core/journal.js';
import { escapeXml } from './escape.js';
import { formatActual } from './format.js';

// junit.xml: one test case per assertion, for CI test tabs.

const esc = escapeXml;

export function renderJunit(j: Journal): string {
  const seconds = ((Date.parse(j.finishedAt) - Date.parse(j.startedAt)) / 1000).toFixed(3);
  const failures = j.assertions.filter((a) => !a.passed).length;
  const errors = j.status === 'error' || j.status === 'aborted' ? 1 : 0;
  const cases = j.assertions.map((a) => {
    const open = `    <testcase classname="${esc(j.experiment)}" name="${esc(a.name)}" time="0">`;
    if (a.passed) return `${open}</testcase>`;
    const msg = `expected ${a.metric} ${a.op} ${a.expected ?? 'null'}, got ${formatActual(a.actual, a.metric)}`;
    return `${open}\n      <failure message="${esc(msg)}" type="AssertionFailed">${esc(`actual: ${a.actual}\nexpected: ${a.op} ${a.expected}`)}</failure>\n    </testcase>`;
  });
  if (j.status === 'unverified') {
    cases.push(`    <testcase classname="${esc(j.experiment)}" name="run" time="${seconds}">\n      <skipped message="no assertions: nothing was verified"/>\n    </testcase>`);
  }
  if (errors) {
    cases.push(`    <testcase classname="${esc(j.experiment)}" name="run" time="${seconds}">\n      <error message="${esc(`run ${j.status}${j.error ? `: ${j.error}` : ''}`)}" type="${j.status}"/>\n    </testcase>`);
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="failover-harness" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${seconds}">`,
    `  <testsuite name="${esc(j.experiment)}" tests="${cases.length}" failures="${failures}" errors="${errors}"${j.status === 'unverified' ? ' skipped="1"' : ''} time="${seconds}" timestamp="${esc(j.startedAt)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
