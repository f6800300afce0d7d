import { describe, expect, it } from 'vitest';
import { analyseControlPlane, leaderByRound, writeUnavailableMs } from '../../harness/analysis/control-plane.js';
import { placementCheck } from '../../harness/analysis/placement.js';
import { parseExperiment } from '../../harness/core/experiment.js';
import type { ProbeRecord, StatusRecord } from '../../harness/probes/record.js';
import { firstLeader } from '../../harness/probes/probe-client.js';
import { zonalTopology } from '../../clusters/zonal.js';

const write = (sentAt: number, ok: boolean, latencyMs = 5): ProbeRecord => ({ probe: 'write', sentAt, latencyMs, ok, error: ok ? null : 'timeout', member: 'm', key: `k${sentAt}` });
const status = (round: number, member: string, leader: string | null, term: number, ok = true): StatusRecord => ({ probe: 'status', sentAt: round * 100, round, member, ok, leader, term });

describe('writeUnavailableMs', () => {
  it('is 0 when every write succeeded', () => {
    expect(writeUnavailableMs([write(0, true), write(100, true), write(200, true)], 50, 500, 1000)).toBe(0);
  });

  it('measures between acknowledgements, so a late success does not hide the window', () => {
    // ack at 5; failures sent 100..800; a write sent at 900 is acknowledged at 1700.
    const writes = [write(0, true), ...[100, 200, 300, 400, 500, 600, 700, 800].map((t) => write(t, false, 800)), write(900, true, 800), write(1800, true)];
    expect(writeUnavailableMs(writes, 50, 5000, 6000)).toBe(1700 - 5);
  });

  it('runs to the end of the run when writes never come back (quorum loss)', () => {
    const writes = [write(0, true), write(100, false), write(200, false)];
    expect(writeUnavailableMs(writes, 50, 300, 1000)).toBe(1000 - 5);
  });

  it('ignores a gap wholly before the fault', () => {
    const writes = [write(0, true), write(100, false), write(200, true), write(1000, true)];
    expect(writeUnavailableMs(writes, 500, 900, 2000)).toBe(0);
  });
});

describe('firstLeader', () => {
  it('asks every member at once: a slow member does not hold up the one that leads (live: 1–3 s each on kind)', async () => {
    const asked: string[] = [];
    const started = Date.now();
    const leader = await firstLeader(['a', 'b', 'c'], async (m) => {
      asked.push(m);
      await new Promise((r) => setTimeout(r, m === 'c' ? 10 : 400));
      return { leader: m === 'c' ? 'c' : null, term: null };
    });
    expect(leader).toBe('c');
    expect(asked).toEqual(['a', 'b', 'c']);
    expect(Date.now() - started).toBeLessThan(300);
    expect(await firstLeader(['a', 'b'], async (m) => (m === 'a' ? Promise.reject(new Error('down')) : { leader: null, term: null }))).toBeNull();
  });
});

describe('leaderByRound', () => {
  it('takes the highest-term view of each round and skips members that did not answer', () => {
    const rounds = leaderByRound([status(1, 'a', 'a', 2), status(1, 'b', 'a', 2), status(2, 'a', null, 0, false), status(2, 'b', 'a', 2), status(3, 'b', 'b', 3), status(3, 'c', 'a', 2)]);
    expect(rounds.map((r) => r.leader)).toEqual(['a', 'a', 'b']);
  });
});

describe('analyseControlPlane', () => {
  const windows = { baselineStart: 0, faultStart: 1000, injectedAt: 1010, recoveryStart: 3000, revertedAt: 3050, end: 5000 };
  const placement = placementCheck(parseExperiment({ name: 'x', description: 'd', topology: zonalTopology({ zones: 3, membersIn: { a: 1, b: 1, c: 1 } }), faults: [{ kind: 'etcd-member-loss', which: 'leader' }] }, 't').topology, [{ kind: 'etcd-member-loss', which: 'leader', count: 1, mode: 'kill' }]);
  const statuses = [...[0, 5, 9].map((r) => status(r, 'etcd-b', 'etcd-a', 2)), ...[12, 20, 40].map((r) => status(r, 'etcd-b', 'etcd-b', 3))];
  const writes = [write(900, true), write(1100, false), write(1200, false), write(1300, true), write(3100, true)];
  const result = analyseControlPlane({ members: ['etcd-a', 'etcd-b', 'etcd-c'], probes: writes, statuses, windows, lostMembers: ['etcd-a'], probeIntervalMs: 100, probeTimeoutMs: 1000, placement, verification: { acknowledged: 3, lost: [] } });

  it('the lost leader is the one known when the inject action ended, though no round before the fault phase named one (live on kind)', () => {
    // The baseline's rounds failed; the only rounds naming etcd-a fell inside a slow inject action [1000, 4000).
    const slow = { ...windows, injectedAt: 4000, recoveryStart: 6000, revertedAt: 6050, end: 8000 };
    const views = [status(5, 'etcd-a', null, 0, false), ...[15, 25, 35].map((r) => status(r, 'etcd-a', 'etcd-a', 2)), ...[45, 50].map((r) => status(r, 'etcd-b', 'etcd-b', 3))];
    const r = analyseControlPlane({ members: ['etcd-a', 'etcd-b', 'etcd-c'], probes: [write(500, true), write(5000, true)], statuses: views, windows: slow, lostMembers: ['etcd-a'], probeIntervalMs: 100, probeTimeoutMs: 1000, placement, verification: null });
    expect(r).toMatchObject({ initialLeader: 'etcd-a', leaderLost: true, leaderElectionMs: 4500 - 4000 });
  });

  it('takes the leader the fault found when it chose, when no round before the kill named one (live on kind: the loaded leader\'s metrics timed out)', () => {
    const views = [...[5, 9].map((r) => status(r, 'etcd-a', null, 0, false)), ...[12, 20].map((r) => status(r, 'etcd-b', 'etcd-b', 3))];
    const input = { members: ['etcd-a', 'etcd-b', 'etcd-c'], probes: [write(500, true), write(3100, true)], statuses: views, windows, lostMembers: ['etcd-a'], probeIntervalMs: 100, probeTimeoutMs: 1000, placement, verification: null };
    expect(analyseControlPlane(input)).toMatchObject({ initialLeader: null, leaderLost: false, leaderElectionMs: null });
    expect(analyseControlPlane({ ...input, leaderAtInjection: 'etcd-a' })).toMatchObject({ initialLeader: 'etcd-a', leaderLost: true, leaderElectionMs: 1200 - 1010, leaderChanges: 1 });
  });

  it('finds the leader change and how long the election took from t_f', () => {
    expect(result).toMatchObject({ initialLeader: 'etcd-a', finalLeader: 'etcd-b', leaderLost: true, leaderChanges: 1, leaderElectionMs: 1200 - 1010 });
  });

  it('reports write availability per phase, read-only-ness and lost writes', () => {
    expect(result.phases.fault.writes).toEqual({ requests: 3, failed: 2, availability: 1 / 3 });
    expect(result.readOnly).toBe(false);
    expect(result.writeRecoveryMs).toBe(0);
    expect(result.lostAcknowledgedWrites).toBe(0);
  });
});

describe('placementCheck', () => {
  const topo = (membersIn: Record<string, number>, zones = 3) => parseExperiment({ name: 'x', description: 'd', topology: zonalTopology({ zones, membersIn }), faults: [{ kind: 'zone-outage', zone: 'zone-a' }] }, 't').topology;

  it('predicts quorum loss when a zone holds two of three members', () => {
    const p = placementCheck(topo({ a: 2, b: 1 }), [{ kind: 'zone-outage', zone: 'zone-a', mode: 'kill' }]);
    expect(p.predictsQuorumLoss).toBe(true);
    expect(p.findings[0]!.message).toBe('zone-a holds 2 of 3 members (etcd-a, etcd-a2): losing them loses quorum (2 of 3 needed); writes will stop');
  });

  it('keeps quorum with one member per zone, and computes 1.5× / 1.25× overhead for 3 / 5 zones', () => {
    const three = placementCheck(topo({ a: 1, b: 1, c: 1 }), [{ kind: 'zone-outage', zone: 'zone-a', mode: 'kill' }]);
    expect(three.predictsQuorumLoss).toBe(false);
    expect(three.overheadOneZone).toBe(1.5);
    const five = placementCheck(topo({ a: 1, b: 1, c: 1, d: 1, e: 1 }, 5), [
      { kind: 'zone-outage', zone: 'zone-a', mode: 'kill' },
      { kind: 'zone-outage', zone: 'zone-b', mode: 'kill' },
    ]);
    expect(five.overheadOneZone).toBe(1.25);
    expect(five.overheadForFault).toBeCloseTo(5 / 3);
    expect(five.predictsQuorumLoss).toBe(false);
    expect(five.findings.at(-1)!.message).toBe('together the faults take down 2 of 5 members: quorum holds');
  });

  it('rejects even or zero member counts and unknown nodes with the field path', () => {
    const bad = (membersIn: Record<string, number>) => () => topo(membersIn);
    expect(bad({ a: 1, b: 1 })).toThrow(/controlPlane\.members: use an odd number of etcd members/);
    expect(() =>
      parseExperiment({ name: 'x', description: 'd', topology: { clusters: [{ name: 'c', regions: [{ name: 'r', zones: [{ name: 'z', nodes: [{ name: 'n', instances: 1, client: true }] }] }], controlPlane: { members: [{ name: 'e', node: 'ghost' }] } }] }, faults: [{ kind: 'kill-instance', target: { node: 'n' } }] }, 't'),
    ).toThrow(/controlPlane\.members\[0\]\.node: unknown node "ghost"/);
  });
});

describe('fault-phase availability', () => {
  it('judges what the fault in force decided: leaves out what was sent before it was injected, and what only the revert may have answered', () => {
    const windows = { baselineStart: 0, faultStart: 1000, injectedAt: 1500, recoveryStart: 3000, revertedAt: 3000, end: 4000 };
    const placement = placementCheck(parseExperiment({ name: 'x', description: 'd', topology: zonalTopology({ zones: 3, membersIn: { a: 1, b: 1, c: 1 } }), faults: [{ kind: 'etcd-member-loss' }] }, 't').topology, []);
    // Sent while the fault was being injected (succeeded: left out); failed within the fault; answered after the
    // revert began (left out); failed after it began (a failure: it waited through the fault); answered within it.
    const probes = [write(1100, true, 50), write(1600, false, 1000), write(2500, true, 600), write(2600, false, 1000), write(2800, true, 100), write(3100, true)];
    const r = analyseControlPlane({ members: ['etcd-a'], probes, statuses: [], windows, lostMembers: [], probeIntervalMs: 100, probeTimeoutMs: 1000, placement, verification: null });
    expect(r.phases.fault.writes).toEqual({ requests: 3, failed: 2, availability: 1 / 3 });
    expect(r.phases.recovery.writes).toEqual({ requests: 1, failed: 0, availability: 1 });
  });
});

describe('writeRecoveryMs', () => {
  it('counts from the start of the revert, so restarting members is included', () => {
    const windows = { baselineStart: 0, faultStart: 1000, injectedAt: 1000, recoveryStart: 2000, revertedAt: 2800, end: 4000 };
    const placement = placementCheck(parseExperiment({ name: 'x', description: 'd', topology: zonalTopology({ zones: 3, membersIn: { a: 1, b: 1, c: 1 } }), faults: [{ kind: 'etcd-member-loss' }] }, 't').topology, []);
    const probes = [write(2100, false), write(2500, false), write(2600, true), write(3000, true)];
    const r = analyseControlPlane({ members: ['etcd-a'], probes, statuses: [], windows, lostMembers: [], probeIntervalMs: 100, probeTimeoutMs: 1000, placement, verification: null });
    expect(r.writeRecoveryMs).toBe(600);
  });

  it('writes failing when the revert began and none failing after it are back at the first write sent after it, not at once', () => {
    const windows = { baselineStart: 0, faultStart: 1000, injectedAt: 1000, recoveryStart: 2000, revertedAt: 2800, end: 4000 };
    const placement = placementCheck(parseExperiment({ name: 'x', description: 'd', topology: zonalTopology({ zones: 3, membersIn: { a: 1, b: 1, c: 1 } }), faults: [{ kind: 'etcd-member-loss' }] }, 't').topology, []);
    const input = { members: ['etcd-a'], statuses: [], windows, lostMembers: [], probeIntervalMs: 100, probeTimeoutMs: 1000, placement, verification: null };
    // Live on kind: the probe sent nothing for 1 s after the revert began; the first write then succeeded.
    expect(analyseControlPlane({ ...input, probes: [write(1500, false, 300), write(3010, true), write(3200, true)] }).writeRecoveryMs).toBe(1010);
    // Writes already back before the revert: nothing to recover.
    expect(analyseControlPlane({ ...input, probes: [write(1500, false, 300), write(1900, true, 50), write(3010, true)] }).writeRecoveryMs).toBe(0);
  });
});
