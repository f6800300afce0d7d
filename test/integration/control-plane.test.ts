import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLEAN, machineState } from '../helpers/machine.js';
import { readJournal, runCli, tempDir } from '../helpers/cli.js';

// Real etcd clusters (Debian etcd-server) beside client traffic.

afterEach(async () => {
  expect(await machineState()).toEqual(CLEAN);
});

const SHORT = ['--baseline', '2s', '--duration', '5s', '--recovery', '5s'];
const isolation = process.getuid?.() === 0 ? 'netns' : 'process';

async function run(name: string, extra: string[] = []) {
  const dir = tempDir(name);
  const { exitCode, output } = await runCli([name, '--isolation', isolation, '--report-dir', dir, ...SHORT, ...extra]);
  expect(output).toContain(`${name}: PASSED`);
  expect(exitCode).toBe(0);
  // The members' data was scratch: removed with the environment.
  expect(existsSync(join(dir, 'etcd'))).toBe(false);
  return readJournal(dir);
}

describe(`control plane (${isolation} isolation)`, () => {
  it('etcd-member-loss: losing the leader costs about one election, and nothing is lost', async () => {
    const j = await run('etcd-member-loss');
    const cp = j.controlPlane!;
    expect(cp.leaderLost).toBe(true);
    expect(cp.finalLeader).not.toBe(cp.initialLeader);
    // etcd's election timeout is 1000 ms (randomised up to 2×): allow a few.
    expect(cp.leaderElectionMs).toBeGreaterThan(500);
    expect(cp.writeUnavailableMs).toBeGreaterThan(500);
    expect(cp.writeUnavailableMs).toBeLessThan(4000);
    expect(cp.acknowledgedWrites).toBeGreaterThan(50);
    expect(cp.lostAcknowledgedWrites).toBe(0);
    for (const c of j.clients) expect(c.phases.fault.errorRate).toBe(0);
  });

  it('etcd-quorum-loss: read-only, serializable reads answer, the data plane serves', async () => {
    const cp = (await run('etcd-quorum-loss')).controlPlane!;
    expect(cp.readOnly).toBe(true);
    expect(cp.phases.fault.serializableReads.availability).toBeGreaterThanOrEqual(0.95);
    expect(cp.lostAcknowledgedWrites).toBe(0);
  });

  it('control-plane-outage: nothing answers, clients do not notice', async () => {
    const j = await run('control-plane-outage');
    expect(j.controlPlane!.phases.fault.writes.availability).toBe(0);
    for (const c of j.clients) expect(c.phases.fault.locality.sameZone).toBeGreaterThanOrEqual(0.95);
  });

  it('bad-placement: the predicted quorum loss happens', async () => {
    const cp = (await run('bad-placement')).controlPlane!;
    expect(cp.placement.predictsQuorumLoss).toBe(true);
    expect(cp.readOnly).toBe(true);
  });

  it('stateful-zone-outage: the store keeps quorum through a zone outage; 1.5× overhead', async () => {
    const j = await run('stateful-zone-outage');
    const placement = j.controlPlane!.placement;
    expect(placement.overheadOneZone).toBe(1.5);
    expect(j.controlPlane!.readOnly).toBe(false);
    expect(j.controlPlane!.lostAcknowledgedWrites).toBe(0);
  });
});
