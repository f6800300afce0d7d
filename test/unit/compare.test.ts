import { describe, expect, it } from 'vitest';
import type { Journal } from '../../harness/core/journal.js';
import { compareRows, renderCompareHtml, renderCompareMarkdown, type CompareColumn } from '../../harness/report/compare.js';
import { dataPlaneFacts, dataPlaneOf, factParts, recordedFacts } from '../../harness/report/data-plane.js';
import { parseExperiment } from '../../harness/core/experiment.js';
import { experimentNames, loadExperiment } from '../../harness/cli/load-experiment.js';
import { dataPlaneNotes, MESHES } from '../../harness/mesh/choice.js';

// The compare page shows, beside the figures, what each data plane put in
// force of the one failover policy and which assertions it was not held to.

const journal = (environment: Record<string, string>): Journal =>
  ({ experiment: 'zone-outage', provider: 'kind', isolation: 'docker', status: 'passed', assertions: [], metrics: { assertionsFailed: 0 }, clients: [], faults: [], settings: { ratePerClient: 20, requestTimeoutMs: 1000, phasesMs: { baseline: 3000, fault: 8000, recovery: 12000 }, recoveryWindowMs: 1000, recoveryThreshold: 1, overrides: [] }, environment }) as unknown as Journal;

const column = (label: string, environment: Record<string, string>): CompareColumn => {
  const j = journal(environment);
  return { dir: `runs/${label}`, label, dataPlane: dataPlaneOf(j), journal: j };
};

describe('compare: the policy parts each data plane honoured', () => {
  const columns = [
    column('istio', { mesh: 'Istio 1.30.2' }),
    column('linkerd', {
      mesh: 'Linkerd edge-25.4.4: failure accrual and retries on the Service',
      policyNotInForce: 'region and subzone preference (Linkerd knows zone hints only; beyond the zone its balancer prefers the lowest-latency endpoints); maxEjectionPercent 100% (failure accrual may mark every endpoint failing; requests then fail fast)',
      notExpected: "client(client-a).recovery.timeMs: zone hints keep client-a on zone-a's endpoints while they are listed",
    }),
  ];

  it('lists each part on its own line, and says when the whole policy was in force', () => {
    const rows = compareRows(columns);
    const policy = rows.find((r) => r.figure === 'policy not in force')!;
    expect(policy.cells[0]).toBe('none: the whole policy was in force');
    expect(policy.cells[1]!.split('\n')).toEqual([
      'region and subzone preference (Linkerd knows zone hints only; beyond the zone its balancer prefers the lowest-latency endpoints)',
      'maxEjectionPercent 100% (failure accrual may mark every endpoint failing; requests then fail fast)',
    ]);
    expect(policy.differs).toBe(true);
    const expected = rows.find((r) => r.figure === 'assertions not expected')!;
    expect(expected.cells).toEqual(['none', "client(client-a).recovery.timeMs: zone hints keep client-a on zone-a's endpoints while they are listed"]);
  });

  it('renders them in the page and the markdown, with the mesh in each column head', () => {
    const html = renderCompareHtml(columns);
    expect(html).toContain('kind: Linkerd edge-25.4.4');
    expect(html).toMatch(/<td><ul class="parts"><li>region and subzone preference \(.*\)<\/li><li>maxEjectionPercent 100%/);
    const md = renderCompareMarkdown(columns);
    expect(md).toMatch(/\| \*\*policy not in force\*\* \| none: the whole policy was in force \| region and subzone preference .*<br>maxEjectionPercent/);
  });
});

describe('a run\'s own data-plane facts', () => {
  it('splits recorded lists outside parentheses, and has none for a run that recorded none', () => {
    expect(factParts('a (x; y); b; c (z)')).toEqual(['a (x; y)', 'b', 'c (z)']);
    expect(factParts(undefined)).toEqual([]);
    const facts = dataPlaneFacts(journal({ mesh: 'none: Kubernetes Services', policyNotInForce: 'outlier detection (kube-proxy has none); retries (2)' }));
    expect(facts).toEqual({ dataPlane: 'kind: none: Kubernetes Services', notInForce: ['outlier detection (kube-proxy has none)', 'retries (2)'], notExpected: [] });
  });
});

describe('what every experiment records about its data plane', () => {
  it('reads back part for part: no part holds a ";" outside parentheses, on any mesh, across clusters or not', async () => {
    for (const name of experimentNames()) {
      const ex = parseExperiment((await loadExperiment(name)).raw, name);
      for (const mesh of MESHES) {
        for (const ctx of [{ multiCluster: false, linkerdMode: 'federated' as const }, { multiCluster: true, linkerdMode: 'federated' as const }, { multiCluster: true, linkerdMode: 'failover-extension' as const }]) {
          const notes = dataPlaneNotes(mesh, ex, ctx);
          const recorded = recordedFacts(notes.notInForce, notes.notExpected);
          expect([name, mesh, factParts(recorded.policyNotInForce)]).toEqual([name, mesh, notes.notInForce]);
          expect([name, mesh, factParts(recorded.notExpected)]).toEqual([name, mesh, notes.notExpected.map((n) => `${n.metric}: ${n.why}`)]);
        }
      }
    }
  });
});

describe('compare: how the runs differ (#25)', () => {
  it('heads each column with its invocation, gives each injection its own rows, and highlights times only beyond the resolution', async () => {
    const { twoInjectionJournal } = await import('../helpers/two-injections.js');
    const a = twoInjectionJournal();
    const b = twoInjectionJournal();
    b.settings = { ...b.settings, overrides: [{ option: '--rate', value: '40', replaces: '20' }] };
    // The same run 20 ms slower to recover (below the 50 ms request interval), and 600 ms slower to come home.
    b.faults[1]!.impact!['client-b'] = { ...b.faults[1]!.impact!['client-b']!, recoveryTimeMs: b.faults[1]!.impact!['client-b']!.recoveryTimeMs! + 20, failbackTimeMs: 900 };
    const rows = compareRows([
      { dir: 'a', label: 'a', dataPlane: 'x', journal: a },
      { dir: 'b', label: 'b', dataPlane: 'x', journal: b },
    ]);
    const row = (client: string, figure: string) => rows.find((r) => r.client === client && r.figure === figure)!;
    expect(row('', 'invocation').cells).toEqual(['kill · 20 req/s · phases 3/10/4 s · as written', 'kill · 20 req/s · phases 3/10/4 s · overridden: --rate 40']);
    expect(row('client-b', 'injection(1) recovery')).toMatchObject({ cells: ['150 ms', '170 ms (+20 ms)'], differs: false });
    expect(row('client-b', 'injection(1) failback')).toMatchObject({ cells: ['300 ms', '900 ms (+600 ms)'], differs: true });
    expect(rows.some((r) => r.figure === 'recovery')).toBe(false);
    expect(renderCompareHtml([{ dir: 'a', label: 'a', dataPlane: 'x', journal: a }, { dir: 'b', label: 'b', dataPlane: 'x', journal: b }])).toContain('overridden: --rate 40');
  });
});
