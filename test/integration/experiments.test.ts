import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLEAN, machineState } from '../helpers/machine.js';
import { FAST, readJournal, readRecords, REPO, runCli, tempDir } from '../helpers/cli.js';

// Real runs: echo processes, Envoy sidecars, network namespaces (as root).
// Each checks the report, recomputes it independently and checks the machine is clean.

afterEach(async () => {
  expect(await machineState()).toEqual(CLEAN);
});

async function recompute(dir: string): Promise<void> {
  const r = await execa('python3', ['scripts/recompute.py', dir], { cwd: REPO, reject: false });
  expect(r.stdout).toMatch(/0 differences/);
  expect(r.exitCode).toBe(0);
}

const isolations = process.getuid?.() === 0 ? ['netns', 'process'] : ['process'];

describe.each(isolations)('zone-outage (%s isolation)', (isolation) => {
  it.each(isolation === 'netns' ? ['kill', 'freeze', 'isolate'] : ['kill', 'freeze'])('fails zone-a over to zones b and c (%s)', async (mode) => {
    const dir = tempDir('zo');
    const { exitCode, output } = await runCli(['zone-outage', '--isolation', isolation, '--mode', mode, '--report-dir', dir, ...FAST]);
    expect(output).toContain('zone-outage: PASSED');
    expect(exitCode).toBe(0);
    const j = readJournal(dir);
    expect(j.status).toBe('passed');
    expect(j.faults[0]).toMatchObject({ kind: 'zone-outage', mode });
    expect(j.faults[0]!.revertedAtMs).toBeGreaterThan(j.faults[0]!.injectedAtMs);
    const [a, b, c] = j.clients;
    expect(a!.recoveryTimeMs).toEqual(expect.any(Number));
    expect(a!.phases.baseline.locality.sameZone).toBeGreaterThanOrEqual(0.95);
    // A frozen zone answers, when thawed, the tries it held: up to the experiment's 7%.
    expect((a!.phases.fault.servedBy.zone['eu-west-1/zone-b'] ?? 0) + (a!.phases.fault.servedBy.zone['eu-west-1/zone-c'] ?? 0)).toBeGreaterThanOrEqual(0.93);
    for (const other of [b!, c!]) {
      expect(other.phases.fault.errorRate).toBe(0);
      expect(other.phases.fault.locality.sameZone).toBeGreaterThanOrEqual(0.95);
    }
    await recompute(dir);
  });
});

describe.each(isolations)('other experiments (%s isolation)', (isolation) => {
  it('drain-listeners moves tianjin traffic to beijing and shenyang', async () => {
    const dir = tempDir('dl');
    const { exitCode, output } = await runCli(['drain-listeners', '--isolation', isolation, '--report-dir', dir, ...FAST]);
    expect(output).toContain('drain-listeners: PASSED');
    expect(exitCode).toBe(0);
    const client = readJournal(dir).clients[0]!;
    const sub = (p: 'baseline' | 'fault', s: string) => client.phases[p].servedBy.subzone[`cn-north-4/cn-north-4b/${s}`] ?? 0;
    expect(sub('baseline', 'tianjin')).toBeGreaterThanOrEqual(0.95);
    expect(sub('fault', 'beijing')).toBeGreaterThan(0.3);
    expect(sub('fault', 'shenyang')).toBeGreaterThan(0.3);
    await recompute(dir);
  });

  it('region-failover goes to cn-south-1, never cn-east-3', async () => {
    const dir = tempDir('rf');
    const { exitCode } = await runCli(['region-failover', '--isolation', isolation, '--report-dir', dir, ...FAST]);
    expect(exitCode).toBe(0);
    const client = readJournal(dir).clients[0]!;
    expect(client.phases.fault.servedBy.region['cn-south-1']).toBeGreaterThanOrEqual(0.95);
    expect(client.phases.fault.servedBy.region['cn-north-4'] ?? 0).toBeLessThanOrEqual(0.02);
    expect(client.phases.fault.servedBy.region['cn-east-3'] ?? 0).toBe(0);
    await recompute(dir);
  });

  it('cluster-failover: east\'s client is served by cluster west, then comes home', async () => {
    const dir = tempDir('cf');
    const { exitCode, output } = await runCli(['cluster-failover', '--isolation', isolation, '--report-dir', dir, ...FAST]);
    expect(exitCode, output.slice(-3000)).toBe(0);
    const client = readJournal(dir).clients[0]!;
    expect(client.phases.baseline.servedBy.region['us-east-1']).toBeGreaterThanOrEqual(0.95);
    expect(client.phases.fault.servedBy.region['us-west-2']).toBeGreaterThanOrEqual(0.95);
    expect(client.failbackTimeMs).toEqual(expect.any(Number));
    await recompute(dir);
  });
});

describe('gray failures', () => {
  it('gray-instance: the sidecar ejects a 503-ing instance after one error and the client stays home', async () => {
    const dir = tempDir('gi');
    const { exitCode, output } = await runCli(['gray-instance', '--report-dir', dir, ...FAST]);
    expect(output).toContain('gray-instance: PASSED');
    expect(exitCode).toBe(0);
    const j = readJournal(dir);
    expect(j.faults[0]).toMatchObject({ kind: 'http-error', affected: ['svc-a-1'], mode: '503 on 100% of requests' });
    const a = j.clients.find((c) => c.name === 'client-a')!;
    // Envoy retries the 503 on another host (previous_hosts): the client never sees svc-a-1 answer during the fault.
    const records = readRecords(dir, 'client-a');
    const t_f = j.faults[0]!.injectedAtMs;
    expect(records.filter((r) => r.instance === 'svc-a-1' && r.sentAt >= t_f && r.sentAt < a.phases.fault.end)).toEqual([]);
    expect(a.phases.fault.failed).toBe(0);
    // The ejection comes from the instance's own view of client-a's last arrival, and the sidecar agrees.
    const lastArrival = j.faults[0]!.lastRequestAtMs!['client-a']! - t_f;
    expect(a.ejectionTimeMs).toBeCloseTo(Math.max(0, lastArrival), 0);
    expect(j.dataPlane!.sidecars.find((s) => s.client === 'client-a')!.ejections.map((e) => e.instance)).toContain('svc-a-1');
    expect(a.phases.fault.servedBy.instance['svc-a-1'] ?? 0).toBe(0);
    await recompute(dir);
  });

  it('slow-zone: timeouts eject zone-a and client-a fails over to zones b and c', async () => {
    const dir = tempDir('sz');
    const { exitCode, output } = await runCli(['slow-zone', '--report-dir', dir, ...FAST]);
    expect(output).toContain('slow-zone: PASSED');
    expect(exitCode).toBe(0);
    const a = readJournal(dir).clients.find((c) => c.name === 'client-a')!;
    expect((a.phases.fault.servedBy.zone['eu-west-1/zone-b'] ?? 0) + (a.phases.fault.servedBy.zone['eu-west-1/zone-c'] ?? 0)).toBeGreaterThanOrEqual(0.95);
    expect(a.ejectionTimeMs).toEqual(expect.any(Number));
    expect(a.phases.recovery.latencyMs!.p99).toBeLessThan(100);
    await recompute(dir);
  });
});

describe('timelines and capacity', () => {
  it('rolling-zone-outage: each zone\'s client fails over and back in its own window', async () => {
    const dir = tempDir('roll');
    const { exitCode, output } = await runCli(['rolling-zone-outage', '--report-dir', dir, '--baseline', '2s', '--recovery', '3s']);
    expect(output).toContain('rolling-zone-outage: PASSED');
    expect(exitCode).toBe(0);
    const j = readJournal(dir);
    const [a, b] = j.faults;
    expect([a!.target, b!.target]).toEqual(['zone=zone-a,region=eu-west-1', 'zone=zone-b,region=eu-west-1']);
    // Injected and reverted on their own schedule: zone-b 6 s after zone-a, each for 3 s.
    expect(b!.injectStartedAtMs - a!.injectStartedAtMs).toBeGreaterThan(5900);
    expect(b!.injectStartedAtMs - a!.injectStartedAtMs).toBeLessThan(6300);
    expect(a!.revertStartedAtMs! - a!.injectStartedAtMs).toBeGreaterThan(2900);
    // Each client is moved only by its own zone's injection (on Envoy often without losing a request: the
    // retries leave a dead priority), and recovers and comes home inside it.
    expect(a!.impact!['client-b']!.failed).toBe(0);
    expect(b!.impact!['client-a']!.failed).toBe(0);
    expect(a!.impact!['client-b']!.timeToFailoverMs).toBe(null);
    expect(b!.impact!['client-a']!.timeToFailoverMs).toBe(null);
    for (const [f, c] of [[a!, 'client-a'], [b!, 'client-b']] as const) {
      expect(f.impact![c]!.timeToFailoverMs).toEqual(expect.any(Number));
      expect(f.impact![c]!.failbackTimeMs).toEqual(expect.any(Number));
    }
    await recompute(dir);
  });

  it('flapping-instance: three injections, each with its own recovery and failback', async () => {
    const dir = tempDir('flap');
    const { exitCode, output } = await runCli(['flapping-instance', '--report-dir', dir, '--baseline', '2s']);
    expect(output).toContain('flapping-instance: PASSED');
    expect(exitCode).toBe(0);
    const j = readJournal(dir);
    expect(j.faults.map((f) => [f.fault, f.repetition])).toEqual([[0, 0], [0, 1], [0, 2]]);
    const gaps = j.faults.slice(1).map((f, i) => f.injectStartedAtMs - j.faults[i]!.injectStartedAtMs);
    for (const gap of gaps) expect(Math.abs(gap - 4000)).toBeLessThan(300);
  });

  it('capacity-headroom: 1.5× absorbs a lost zone without shedding; 1.2× sheds, as predicted', async () => {
    const ok = tempDir('cap');
    expect((await runCli(['capacity-headroom', '--report-dir', ok, '--baseline', '2s'])).exitCode).toBe(0);
    const good = readJournal(ok).capacity!;
    expect(good).toMatchObject({ baselineHeadroom: 1.5, predictedOverload: false, shed: 0, agrees: true });
    expect(good.instances.map((i) => i.instance).sort()).toEqual(['svc-a-1', 'svc-a-2', 'svc-b-1', 'svc-b-2', 'svc-c-1', 'svc-c-2']);
    // The survivors served more than their baseline share: they absorbed zone-a.
    expect(good.instances.filter((i) => i.instance.startsWith('svc-b')).every((i) => i.served > 0)).toBe(true);
    const over = tempDir('cap-short');
    const { exitCode, output } = await runCli(['capacity-headroom-short', '--report-dir', over, '--baseline', '2s']);
    expect(output).toContain('capacity-headroom-short: PASSED');
    expect(exitCode).toBe(0);
    const bad = readJournal(over).capacity!;
    expect(bad.predictedOverload).toBe(true);
    expect(bad.shed).toBeGreaterThan(0);
    // Shedding shows per instance: the survivors shed (zone-a's instances may too once back, under the spill from b and c).
    expect(bad.instances.some((i) => !i.instance.startsWith('svc-a') && i.shed > 0)).toBe(true);
    expect(bad.instances.reduce((n, i) => n + i.shed, 0)).toBe(bad.shed);
  });
});

describe.runIf(process.getuid?.() === 0)('zone-partition (netns)', () => {
  it('fails over only to the zone still reachable, and removes its nftables table', async () => {
    const dir = tempDir('zp');
    const { exitCode, output } = await runCli(['zone-partition', '--report-dir', dir, ...FAST]);
    expect(output).toContain('zone-partition: PASSED');
    expect(exitCode).toBe(0);
    const a = readJournal(dir).clients.find((c) => c.name === 'client-a')!;
    expect(a.phases.fault.servedBy.zone['eu-west-1/zone-b'] ?? 0).toBeLessThanOrEqual(0.05);
    expect(a.phases.fault.servedBy.zone['eu-west-1/zone-c']).toBeGreaterThanOrEqual(0.95);
    await recompute(dir);
  });
});

describe.runIf(process.getuid?.() === 0)('without root', () => {
  it('falls back to process isolation by itself, says so, and passes', async (ctx) => {
    // Only meaningful where an unprivileged user can read this checkout.
    const readable = await execa('runuser', ['-u', 'nobody', '--', 'test', '-r', join(REPO, 'node_modules/tsx/package.json')], { reject: false });
    if (readable.exitCode !== 0) ctx.skip();
    const dir = tempDir('nobody');
    await execa('chown', ['nobody', dir]);
    const r = await execa('runuser', ['-u', 'nobody', '--', process.execPath, '--import', 'tsx', 'harness/cli/experiment.ts', 'drain-listeners', '--report-dir', dir, ...FAST], {
      cwd: REPO,
      reject: false,
      all: true,
      env: { FAILOVER_HARNESS_STATE_DIR: join(dir, 'state') },
    });
    expect(r.all).toContain('not root: using process isolation');
    expect(r.all).toContain('drain-listeners: PASSED');
    expect(r.exitCode).toBe(0);
    expect(readJournal(dir).isolation).toBe('process');
    // The driver was bundled where this user can write (the report directory), and removed at teardown.
    expect(r.all).not.toContain('build the traffic driver');
    expect(existsSync(join(dir, 'logs', 'driver.mjs'))).toBe(false);
  });
});

describe('Envoy itself: what the stand-in could not show', () => {
  it('max-ejection-percent: the sidecar ejects three of six and refuses the fourth', async () => {
    const dir = tempDir('mep');
    const { exitCode, output } = await runCli(['max-ejection-percent', '--report-dir', dir, '--baseline', '2s']);
    expect(exitCode, output.slice(-3000)).toBe(0);
    const s = readJournal(dir).dataPlane!.sidecars.find((x) => x.client === 'client-a')!;
    expect(s.maxEjected).toBe(3);
    expect(s.counters['outlier_detection.ejections_overflow']).toBeGreaterThan(0);
    await recompute(dir);
  });

  it('overprovisioning: 1 of 4 ejected keeps all traffic home, 2 of 4 spill about 30%', async () => {
    const dir = tempDir('ovp');
    const { exitCode, output } = await runCli(['overprovisioning', '--report-dir', dir, '--baseline', '2s']);
    expect(exitCode, output.slice(-3000)).toBe(0);
    const j = readJournal(dir);
    const home = (c: string, z: string) => j.clients.find((x) => x.name === c)!.phases.fault.servedBy.zone[`eu-west-1/${z}`] ?? 0;
    expect(home('client-a', 'zone-a')).toBeGreaterThanOrEqual(0.95);
    expect(home('client-c', 'zone-c')).toBeGreaterThan(0.6);
    expect(home('client-c', 'zone-c')).toBeLessThan(0.8);
    // The sidecars' own counts of who served agree with the records.
    expect(j.dataPlane!.checks.filter((c) => c.what.startsWith('served by') && !c.agrees)).toEqual([]);
  });

  it('drain-listeners-sidecar: drain_listeners?inboundonly leaves pooled connections serving, so the client stays', async () => {
    const dir = tempDir('dls');
    const { exitCode, output } = await runCli(['drain-listeners-sidecar', '--report-dir', dir, '--baseline', '2s']);
    expect(exitCode, output.slice(-3000)).toBe(0);
    const j = readJournal(dir);
    expect(j.faults[0]).toMatchObject({ kind: 'drain-listeners', mode: 'sidecar', affected: ['tianjin-svc-1'] });
    expect(j.clients[0]!.phases.fault.servedBy.subzone['cn-north-4/cn-north-4b/tianjin']).toBeGreaterThanOrEqual(0.9);
    // The drained Envoy was restarted by the revert: its log has two starts.
    expect(existsSync(join(dir, 'sidecars', 'inbound-tianjin-svc-1', 'envoy.yaml'))).toBe(true);
  });
});
