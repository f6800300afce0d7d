import { describe, expect, it } from 'vitest';
import { twoInjectionJournal } from '../helpers/two-injections.js';
import { binSize, clientSeries } from '../../harness/analysis/series.js';
import { buildIndex, renderIndexHtml, summarize, type RunSummary } from '../../harness/report/history.js';
import { renderJunit } from '../../harness/report/junit.js';
import { rec, series } from '../helpers/records.js';
import type { Journal } from '../../harness/core/journal.js';

describe('binSize', () => {
  it('keeps at most 600 bins', () => {
    expect(binSize(20_000)).toBe(100);
    expect(binSize(100_000)).toBe(250);
    expect(binSize(3_600_000)).toBe(10_000);
  });
});

describe('clientSeries', () => {
  it('counts successes by the coarsest level that tells them apart, and every failure', () => {
    const records = series(0, 1000, 50, (t) => (t < 300 ? { zone: 'a' } : t < 400 ? 'fail' : { zone: t % 100 ? 'b' : 'c' }));
    const s = clientSeries(records, 0, 1000, 250);
    expect(s.groupBy).toBe('zone');
    expect(s.groups).toEqual(['a', 'b', 'c']);
    expect(s.failed).toEqual([0, 2, 0, 0]);
    expect(s.served.map((g) => g.reduce((x, y) => x + y, 0))).toEqual([6, 6, 6]);
    expect(s.served.flat().reduce((x, y) => x + y, 0) + s.failed.reduce((x, y) => x + y, 0)).toBe(records.length);
  });

  it('groups by subzone when all traffic stays in one zone', () => {
    const s = clientSeries([rec(0, { zone: 'a', subzone: 's1' }), rec(10, { zone: 'a', subzone: 's2' })], 0, 100, 100);
    expect(s.groupBy).toBe('subzone');
  });
});

describe('run history', () => {
  const run = (dir: string, startedAt: string, status: RunSummary['status'], worst: number | null, mode = 'local/netns kill', writeUnavailableMs: number | null = null): RunSummary => ({
    dir, runId: dir, experiment: 'zone-outage', provider: 'local', isolation: 'netns', startedAt, status, worstRecoveryTimeMs: worst, requests: 100, failedRequests: 2, assertionsFailed: status === 'failed' ? 1 : 0, writeUnavailableMs, lostAcknowledgedWrites: null, mode,
  });

  it('orders runs newest first per experiment and renders a trend chart', () => {
    const index = buildIndex([run('r1', '2026-11-20T00:00:00Z', 'passed', 120), run('r2', '2026-11-21T00:00:00Z', 'failed', 4000)], 'now');
    expect(index.experiments['zone-outage']!.map((r) => r.dir)).toEqual(['r2', 'r1']);
    const html = renderIndexHtml(index);
    expect(html).toContain('href="r2/report.html"');
    expect(html).toContain('<svg');
    expect(html).not.toContain('<script');
  });

  it('opens with an overview per experiment and mode; modes are not mixed in one trend; control-plane runs headline write unavailability', () => {
    const index = buildIndex(
      [
        run('k1', '2026-11-20T00:00:00Z', 'passed', 120),
        run('k2', '2026-11-21T00:00:00Z', 'passed', 130),
        run('f1', '2026-11-21T01:00:00Z', 'failed', 9000, 'local/netns freeze'),
        { ...run('e1', '2026-11-21T02:00:00Z', 'passed', 0, 'local/netns kill', 1800), experiment: 'etcd-member-loss' },
      ],
      'now',
    );
    const html = renderIndexHtml(index);
    expect(html.match(/<tr class="overview /g)).toHaveLength(3);
    expect(html).toMatch(/<td>local\/netns kill<\/td><td style="color:#1a7f37"><a href="k2\/report.html">passed<\/a><\/td><td>worst recovery 130 ms<\/td>/);
    expect(html).toMatch(/<td>local\/netns freeze<\/td>.*failed.*worst recovery 9000 ms/);
    expect(html).toContain('writes unavailable 1800 ms');
    // One trend chart: only the kill mode of zone-outage has two runs.
    expect(html.match(/<svg/g)).toHaveLength(1);
  });

  it('a run changed on the command line (--assert) is flagged and never joins the experiment\'s own trend (#25)', () => {
    const j = twoInjectionJournal();
    const own = summarize('o1', j);
    const changed = summarize('o2', { ...j, startedAt: '1970-01-02T00:00:00.000Z', settings: { ...j.settings, overrides: [{ option: '--assert', value: 'client(client-b).injection(1).recovery.timeMs < 1s', replaces: 'client(client-b).injection(1).recovery.timeMs < 2s' }] } });
    expect(own.mode).toBe('local/netns kill');
    expect(changed.mode).toBe('local/netns kill · overridden');
    expect(changed.overrides).toEqual(['--assert client(client-b).injection(1).recovery.timeMs < 1s (replaces client(client-b).injection(1).recovery.timeMs < 2s)']);
    const html = renderIndexHtml(buildIndex([own, changed], 'now'));
    expect(html.match(/<tr class="overview /g)).toHaveLength(2);
    expect(html).toContain('overridden: --assert client(client-b).injection(1).recovery.timeMs &lt; 1s');
    // The headline of a timeline run is the worst recovery of any injection from its own start, not the run-level 6 s.
    expect(own.headlineMs).toBe(Math.max(j.faults[0]!.impact!['client-a']!.recoveryTimeMs!, j.faults[1]!.impact!['client-b']!.recoveryTimeMs!));
    expect(html).toContain(`worst recovery per injection ${own.headlineMs} ms`);
    // The budget the headline is held to, for the trend's line; and the row's time on one line, in UTC.
    expect(own.budgetMs).toBe(2000);
    expect(html).toContain('1970-01-01 00:00:00 UTC');
  });

  it('names the failed assertions, and tells verdicts apart without colour (#25 item 10)', () => {
    const failedRun = { ...run('x1', '2026-11-22T00:00:00Z', 'failed', 9000), failedAssertions: ['client(a).recovery.timeMs < 1s'], budgetMs: 1000 };
    const html = renderIndexHtml(buildIndex([failedRun, { ...run('x2', '2026-11-21T00:00:00Z', 'aborted', null) }, { ...run('x3', '2026-11-20T00:00:00Z', 'unverified', 100) }], 'now'));
    expect(html).toContain('client(a).recovery.timeMs &lt; 1s');
    expect(html).toMatch(/>\?<\/span><span[^>]*>‖<\/span><span[^>]*>✗<\/span>/);
    expect(html).toContain('budget 1000 ms');
  });
});

describe('junit.xml', () => {
  it('has one testcase per assertion and failures with actual vs expected', () => {
    const j = { experiment: 'x', runId: 'r1', provider: 'local', isolation: 'process', faults: [], clients: [], settings: { ratePerClient: 20, requestTimeoutMs: 1000, phasesMs: { baseline: 1000, fault: 2000, recovery: 1000 }, recoveryWindowMs: 1000, recoveryThreshold: 1, overrides: [] }, startedAt: '2026-11-22T00:00:00.000Z', finishedAt: '2026-11-22T00:00:10.000Z', status: 'failed', assertions: [
      { name: 'client(a).recovery.timeMs < 1s', client: 'a', metric: 'recovery.timeMs', op: '<', passed: false, actual: 1500, expected: 1000 },
      { name: 'client(a).fault.errorRate == 0', client: 'a', metric: 'fault.errorRate', op: '==', passed: true, actual: 0, expected: 0 },
    ] } as unknown as Journal;
    const xml = renderJunit(j);
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml).toContain('tests="2" failures="1" errors="0"');
    expect(xml).toContain('message="a: expected recovery.timeMs &lt; 1000 ms, got 1500 ms"');
    // Classed by client, the figure as properties, a time figure as the case's duration.
    expect(xml).toContain('<testcase classname="x.a" name="client(a).recovery.timeMs &lt; 1s" time="1.500">');
    expect(xml).toContain('<property name="value" value="1500"/>');
    expect(xml).toContain('<property name="unit" value="ms"/>');
    expect(xml).toContain('<property name="unit" value="ratio"/>');
    expect(xml).toContain('<property name="client" value="a"/>');
    expect(xml).toMatch(/name="client\(a\)\.fault\.errorRate == 0" time="0">/);
    expect(xml).not.toMatch(/\bnull\b|undefined|NaN/);
  });
});
