import { describe, expect, it } from 'vitest';
import type { AssertionResult, Journal } from '../../harness/core/journal.js';
import { budgetText, capacityCells, controlPlaneCells, failoverSummary, summaryCells } from '../../harness/report/failover-summary.js';
import { fmtMs } from '../../harness/report/format.js';
import { renderHtml } from '../../harness/report/html.js';
import { renderJunit } from '../../harness/report/junit.js';
import { renderMarkdown } from '../../harness/report/markdown.js';
import { twoInjectionJournal } from '../helpers/two-injections.js';

// #25: every output gives each client × injection its own figures, from that
// injection and its own revert, against its injection(N) budget.

describe('a run of two injections (rolling-zone-outage, synthetic records through the real analysis)', () => {
  const j = twoInjectionJournal();
  const own = (n: number, client: string) => j.faults[n]!.impact![client]!;
  const b = j.clients.find((c) => c.name === 'client-b')!;

  it('a killed zone answers nothing: no ejection time from the records, not a misleading 0 (envoy-divergence D4)', () => {
    expect(own(0, 'client-a').ejectionTimeMs).toBeUndefined();
    expect(j.clients.find((c) => c.name === 'client-a')!.ejectionTimeMs).toBeUndefined();
  });

  it('the run-level figure is measured from the first injection: the 45× the review found', () => {
    expect(b.recoveryTimeMs).toBeGreaterThan(5000);
    expect(own(1, 'client-b').recoveryTimeMs).toBeLessThan(300);
  });

  it('gives a row per client and the injection that touched it, with that injection\'s figures and budget', () => {
    const s = failoverSummary(j);
    expect(s.perInjection).toBe(true);
    expect(s.rows.map((r) => [r.client, r.injection?.index])).toEqual([
      ['client-a', 0],
      ['client-b', 1],
    ]);
    const rowB = s.rows[1]!;
    expect(rowB.recovery).toMatchObject({ value: own(1, 'client-b').recoveryTimeMs, budget: '< 2s', passed: true });
    expect(rowB.failback).toMatchObject({ value: own(1, 'client-b').failbackTimeMs, budget: '< 4s' });
    expect(rowB.injection!.label).toBe('injection(1): zone-outage zone=zone-b');
    // Where that window was served, and its own cost.
    expect(rowB.servedDuringFault[0]!.place).toBe('eu-west-1/zone-c');
    expect([rowB.failed, rowB.requests]).toEqual([own(1, 'client-b').failed, own(1, 'client-b').requests]);
    expect(s.untouched).toEqual(['client-c']);
  });

  it('report.md, report.html, junit.xml and the console cells carry the per-injection figure, never the run-level one', () => {
    const perInjection = fmtMs(own(1, 'client-b').recoveryTimeMs);
    const runLevel = fmtMs(b.recoveryTimeMs);
    const md = renderMarkdown(j);
    const summaryMd = md.slice(md.indexOf('## Failover summary'), md.indexOf('## Assertions'));
    expect(summaryMd).toMatch(new RegExp(`\\*\\*client-b\\*\\* \\| injection\\(1\\): zone-outage zone=zone-b \\|.*\\| ${perInjection} \\(budget < 2s ✓\\)`));
    expect(summaryMd).not.toContain(runLevel);
    const html = renderHtml(j);
    const row = /<tr class="summary-row [^"]*" data-client="client-b" data-injection="1">.*?<\/tr>/.exec(html)?.[0] ?? '';
    expect(row).toContain(`${perInjection} (budget &lt; 2s ✓)`);
    expect(row).not.toContain(runLevel);
    expect(renderJunit(j)).toContain(`client-b · injection(1): zone-outage zone=zone-b: c1/eu-west-1/zone-b → eu-west-1/zone-c 100%; failover 150 ms (not asserted); recovery 150 ms (budget &lt; 2s ✓)`);
    expect(summaryCells(failoverSummary(j).rows[1]!).recovery).toBe(`${perInjection} (budget < 2s ✓)`);
  });
});

describe('the recovery budget on the timeline', () => {
  it('is a light band from each injection that budgets this client to where its budget ends, said in the text alternative', () => {
    const html = renderHtml(twoInjectionJournal());
    const chartOf = (client: string) => {
      const from = html.indexOf(`class="chart timeline" data-client="${client}"`);
      return html.slice(from, html.indexOf('</svg>', from));
    };
    for (const client of ['client-a', 'client-b']) {
      const svg = chartOf(client);
      expect(svg.match(/fill="rgb\(0,114,178\)" fill-opacity="0.1"/g)).toHaveLength(1);
      expect(svg).toContain('>budget<');
      expect(svg).toContain('light blue bands: each recovery budget');
    }
  });
});

describe('the summary row fits what the experiment is judged on', () => {
  const a = (over: Partial<AssertionResult>): AssertionResult => ({ name: 'x', client: '', metric: 'm', op: '<', passed: true, actual: 1, expected: 1, ...over });

  it('budgets as written: a fractional budget is not reformatted number by number (D3)', () => {
    expect(budgetText(a({ name: 'client(c).recovery.timeMs < 2.5ms', op: '<', expected: 2.5 }))).toBe('< 2.5ms');
    expect(budgetText(a({ name: 'client(c).fault.servedBy.region(us-east-1) <= 2%', op: '<=' }))).toBe('<= 2%');
  });

  it('the control plane: write unavailability against its budget, the leader by name, lost of N', () => {
    const text = controlPlaneCells({ writeUnavailableMs: 1736, writeBudget: { budget: '< 4s', passed: true }, leaderChanges: 1, leaderFrom: 'etcd-b', leaderTo: 'etcd-a', leaderElectionMs: 791, lostAcknowledgedWrites: 0, acknowledgedWrites: 129 });
    expect(text).toBe('writes unavailable 1736 ms (budget < 4s ✓) · leader etcd-b → etcd-a (elected 791 ms after the fault), 1 change · 0 of 129 acknowledged writes lost');
  });

  it('capacity: what the instances shed and what the sidecar refused, apart', () => {
    const text = capacityCells({ baselineHeadroom: 1.2, worstHeadroom: 0.8, predictedOverload: true, shedByInstances: 30, failedByInstances: 30, refusedBySidecar: 158, failedUnanswered: 0, agrees: true, judged: [] });
    expect(text).toContain('instances shed 30 · clients saw 30 answered with an error by instances, 158 refused by the sidecar with no instance answering, 0 unanswered');
  });

  it('gray faults: the ejection against its budget, though retries hid every failure', () => {
    const j = twoInjectionJournal();
    const single: Journal = {
      ...j,
      faults: [{ ...j.faults[0]!, kind: 'gray-instance', target: 'instance=svc-a-1', affected: ['svc-a-1'] }],
      clients: j.clients.map((c) => (c.name === 'client-a' ? { ...c, ejectionTimeMs: 420, phases: { ...c.phases, fault: { ...c.phases.fault, failed: 0, servedBy: c.phases.baseline.servedBy } } } : c)),
      assertions: [a({ name: 'client(client-a).ejection.timeMs < 1s', client: 'client-a', metric: 'ejection.timeMs', actual: 420, expected: 1000 })],
    };
    const row = failoverSummary(single).rows.find((r) => r.client === 'client-a')!;
    expect(row.ejection).toMatchObject({ value: 420, budget: '< 1s', passed: true });
    expect(summaryCells(row).judged).toBe('ejection 420 ms (budget < 1s ✓)');
    // The sidecar still held it out when the run ended: said (D4).
    const held: Journal = { ...single, dataPlane: { proxy: 'Envoy', scrapeIntervalMs: 100, sidecars: [{ client: 'client-a', counters: {}, hosts: [], ejections: [{ instance: 'svc-a-1', at: 3420, until: null }], maxEjected: 1 }], checks: [] } };
    expect(summaryCells(failoverSummary(held).rows.find((r) => r.client === 'client-a')!).judged).toBe('ejection 420 ms (budget < 1s ✓) · svc-a-1 still ejected by the sidecar when the run ended: not re-admitted');
  });

  it('a failback the run ended before its budget could not see: "not seen", unverified, never "MISSED"', () => {
    const j = twoInjectionJournal();
    const single: Journal = {
      ...j,
      faults: [j.faults[0]!],
      clients: j.clients.map((c) => (c.name === 'client-a' ? { ...c, failbackTimeMs: null } : c)),
      assertions: [a({ name: 'client(client-a).failback.timeMs < 10s', client: 'client-a', metric: 'failback.timeMs', actual: null, expected: 10_000, passed: false, unverified: 'no failback in the 4.4 s from the revert until the run ended, shorter than its 10 s budget: its window ended before its budget did (lengthen --recovery to judge it)' })],
    };
    const row = failoverSummary(single).rows.find((r) => r.client === 'client-a')!;
    expect(summaryCells(row).failback).toBe('not seen (budget < 10s ✗ unverified: its window ended first)');
    // Measured and over its budget, it is a miss.
    const { unverified: _seen, ...judgedMiss } = single.assertions[0]!;
    const missed: Journal = { ...single, assertions: [judgedMiss] };
    expect(summaryCells(failoverSummary(missed).rows.find((r) => r.client === 'client-a')!).failback).toBe('never (budget < 10s ✗ MISSED)');
    // Another assertion on the same figure failed outright: a miss, whatever the first could not judge.
    const both: Journal = { ...single, assertions: [...single.assertions, { ...judgedMiss, name: 'client(client-a).failback.timeMs < 3s', expected: 3000 }] };
    expect(summaryCells(failoverSummary(both).rows.find((r) => r.client === 'client-a')!).failback).toBe('never (budget < 10s, < 3s ✗ MISSED)');
    // Unjudged for another reason (records incomplete): unverified, the figure as it is.
    const incomplete: Journal = { ...single, assertions: [{ ...single.assertions[0]!, unverified: 'the records of client-a are incomplete' }] };
    expect(summaryCells(failoverSummary(incomplete).rows.find((r) => r.client === 'client-a')!).failback).toBe('never (budget < 10s ✗ unverified)');
  });
});
