import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseExperiment, type ExperimentInput } from '../../harness/core/experiment.js';
import { UsageError } from '../../harness/core/errors.js';

const base = (): ExperimentInput => ({
  name: 'x',
  description: 'd',
  topology: {
    clusters: [
      {
        name: 'c1',
        regions: [
          { name: 'r1', zones: [{ name: 'z1', nodes: [{ name: 'n1', instances: 1, client: true }] }] },
          { name: 'r2', zones: [{ name: 'z2', subzones: [{ name: 's1', nodes: [{ name: 'n2', instances: 2 }] }] }] },
        ],
      },
    ],
  },
  faults: [{ kind: 'zone-outage', zone: 'z1' }],
});

function errorOf(input: unknown): string {
  try {
    parseExperiment(input, 'exp.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseExperiment', () => {
  it('flattens the topology and applies defaults', () => {
    const ex = parseExperiment(base(), 'exp.yaml');
    expect(ex.topology.instances.map((i) => [i.name, i.locality.subzone])).toEqual([
      ['n1-1', ''],
      ['n2-1', 's1'],
      ['n2-2', 's1'],
    ]);
    expect(ex.topology.clients.map((c) => c.name)).toEqual(['n1']);
    expect(ex.traffic.rate).toBe(20);
    expect(ex.phases).toEqual({ baseline: 4000, fault: 8000, recovery: 5000 });
    expect(ex.faults[0]).toMatchObject({ kind: 'zone-outage', mode: 'kill' });
  });

  it.each<[string, (e: ExperimentInput & Record<string, any>) => void, RegExp]>([
    ['a negative instance count', (e) => (e.topology.clusters[0]!.regions[0]!.zones[0]!.nodes![0]!.instances = -1), /exp.yaml: topology.clusters\[0\].regions\[0\].zones\[0\].nodes\[0\].instances: /],
    ['a duplicate node name', (e) => (e.topology.clusters[0]!.regions[1]!.zones[0]!.subzones![0]!.nodes[0]!.name = 'n1'), /duplicate node name "n1"/],
    ['an unknown field', (e) => ((e.traffic as unknown) = { rate: 5, rat: 3 }), /traffic: Unrecognized key.*rat/],
    ['a rate of 0', (e) => (e.traffic = { rate: 0 }), /traffic.rate: must be a positive number/],
    ['a rate past what the driver holds', (e) => (e.traffic = { rate: 10_001 }), /traffic.rate: at most 10000 requests per second per client \(what the driver holds/],
    ['a bad duration', (e) => (e.phases = { fault: '5x' }), /phases.fault: expected a duration/],
    ['an unknown failover region', (e) => (e.policy = { failover: [{ from: 'r1', to: 'r9' }] }), /policy.failover\[0\].to: unknown region "r9"/],
    ['failover to itself', (e) => (e.policy = { failover: [{ from: 'r1', to: 'r1' }] }), /must be different regions/],
    ['a fault naming an unknown zone', (e) => (e.faults = [{ kind: 'zone-outage', zone: 'nowhere' }]), /faults\[0\].zone: unknown zone "nowhere"; zones are /],
    ['an unknown fault kind', (e) => (e.faults = [{ kind: 'meteor' } as never]), /faults\[0\].kind/],
    ['a bad assertion', (e) => (e.assertions = ['recovery.timeMs < 5x']), /assertions\[0\]: unknown unit "x"/],
    ['an assertion on an unknown client', (e) => (e.assertions = ['client(nope).recovery.timeMs < 5s']), /unknown client "nope"/],
    ['no client', (e) => (e.topology.clusters[0]!.regions[0]!.zones[0]!.nodes![0]!.client = false), /no node has `client: true`/],
    ['a zone with subzones and nodes', (e) => (e.topology.clusters[0]!.regions[0]!.zones[0]!.subzones = [{ name: 's', nodes: [{ name: 'q' }] }]), /either `subzones` or `nodes`/],
    ['an upper-case name', (e) => (e.topology.clusters[0]!.name = 'C1'), /clusters\[0\].name: must be a lowercase DNS label/],
  ])('rejects %s with the field path', (_, mutate, message) => {
    const input = base() as ExperimentInput & Record<string, any>;
    mutate(input);
    expect(errorOf(input)).toMatch(message);
  });

  it('accepts every shipped experiment', async () => {
    const dir = new URL('../../experiments/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const mod = (await import(new URL(file, dir).href)) as { default: unknown };
      expect(() => parseExperiment(mod.default, file)).not.toThrow();
    }
  });
});
