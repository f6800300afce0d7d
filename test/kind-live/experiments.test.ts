import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { Journal } from '../../harness/core/journal.js';
import { readJournal, REPO, runCli, tempDir } from '../helpers/cli.js';

// The kind path, live: clusters built here from packages (global-setup.ts),
// plain Kubernetes (--mesh none: kube-proxy, trafficDistribution:
// PreferSameZone), each experiment run as a user runs it. A run that fails an
// assertion, errors, or gives a figure the live cluster contradicts fails the
// test. Runs of one topology share their cluster (--keep); each report is
// kept under reports/kind-live/ (CI keeps that folder).

const REPORTS = join(REPO, 'reports', 'kind-live');

beforeAll(() => {
  process.env.DOCKER_HOST = inject('dockerHost');
  process.env.PATH = inject('toolPath');
  mkdirSync(REPORTS, { recursive: true });
});

async function live(name: string, ...args: string[]): Promise<{ journal: Journal; output: string; exitCode: number }> {
  const dir = tempDir(`kind-${name}`);
  const { exitCode, output } = await runCli([...args, '--provider', 'kind', '--mesh', 'none', '--node-image', inject('nodeImage'), '--keep', '--report-dir', dir]);
  const kept = join(REPORTS, name);
  rmSync(kept, { recursive: true, force: true });
  cpSync(dir, kept, { recursive: true });
  console.log(`${name}: exit ${exitCode}\n${output.split('\n').filter((l) => !/req\/s/.test(l)).slice(-24).join('\n')}`);
  // A run that failed may leave its ledger (a revert that failed): clean up, so the next test is not refused too.
  if (exitCode !== 0) console.log((await runCli([], 'cleanup')).output.slice(-1000));
  return { journal: readJournal(dir), output, exitCode };
}

const client = (j: Journal, name: string) => j.clients.find((c) => c.name === name)!;

describe('zone-outage live', () => {
  it.each(['kill', 'freeze', 'isolate'])('%s: zone-a fails, b and c untouched; Kubernetes keeps zone-a listed through the 8 s fault', async (mode) => {
    const { journal, exitCode, output } = await live(`zone-outage-${mode}`, 'zone-outage', '--mode', mode);
    expect(exitCode, output.slice(-2000)).toBe(0);
    expect(journal.status).toBe('passed');
    const a = client(journal, 'client-a');
    // PreferSameZone: baseline at home; the dead zone stays listed (grace period 20 s > 8 s fault): no failover.
    expect(a.phases.baseline.locality.sameZone).toBeGreaterThanOrEqual(0.95);
    expect(a.phases.fault.errorRate).toBeGreaterThanOrEqual(mode === 'freeze' ? 0.7 : 0.9);
    for (const other of ['client-b', 'client-c']) expect(client(journal, other).phases.fault.errorRate).toBe(0);
    expect(journal.faults[0]!.revertedAtMs).toBeGreaterThan(journal.faults[0]!.injectedAtMs);
  });
});

describe('single-instance faults live (a connection per request: kube-proxy balances each request)', () => {
  it('gray-instance: the 503-ing instance stays listed and fails its share of client-a\'s requests; client-b untouched', async () => {
    const { journal, exitCode, output } = await live('gray-instance', 'gray-instance');
    expect(exitCode, output.slice(-2000)).toBe(0);
    const a = client(journal, 'client-a');
    // One of four same-zone endpoints answers 503 and nothing ejects it: about a quarter of the fault phase fails.
    expect(a.phases.fault.errorRate).toBeGreaterThanOrEqual(0.1);
    expect(a.phases.fault.errorRate).toBeLessThanOrEqual(0.4);
    // Requests spread over zone-a's four instances, not one kept-alive connection's.
    expect(Object.keys(a.phases.baseline.servedBy.instance).length).toBeGreaterThanOrEqual(3);
    expect(client(journal, 'client-b').phases.fault.errorRate).toBe(0);
  });

  it('drain-listeners: the drained instance leaves the client\'s requests; every request is still answered or failed fast', async () => {
    const { journal, exitCode, output } = await live('drain-listeners', 'drain-listeners');
    expect(exitCode, output.slice(-2000)).toBe(0);
    const c = client(journal, 'tianjin-client');
    const fault = journal.faults[0]!;
    expect(fault.affected).toEqual(['tianjin-svc-1']);
    // Spread over the zone's three instances before; the drained one's share gone by the end of the fault.
    expect(Object.keys(c.phases.baseline.servedBy.instance).length).toBe(3);
    expect(c.phases.fault.servedBy.instance['tianjin-svc-1'] ?? 0).toBeLessThan(c.phases.baseline.servedBy.instance['tianjin-svc-1'] ?? 0);
  });
});
