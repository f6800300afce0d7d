import { afterEach, describe, expect, it } from 'vitest';
import { CLEAN, machineState } from '../helpers/machine.js';
import { FAST, readJournal, runCli, tempDir } from '../helpers/cli.js';

afterEach(async () => {
  expect(await machineState()).toEqual(CLEAN);
});

describe('concurrent runs', () => {
  it('two runs at once both work, with distinct run ids, subnets and bridges', async () => {
    const isolation = process.getuid?.() === 0 ? 'netns' : 'process';
    const [d1, d2] = [tempDir('cc1'), tempDir('cc2')];
    const [r1, r2] = await Promise.all([
      runCli(['drain-listeners', '--isolation', isolation, '--report-dir', d1, ...FAST]),
      runCli(['region-failover', '--isolation', isolation, '--report-dir', d2, ...FAST]),
    ]);
    expect([r1.exitCode, r2.exitCode], `${r1.output}\n${r2.output}`).toEqual([0, 0]);
    const [j1, j2] = [readJournal(d1), readJournal(d2)];
    expect(j1.runId).not.toBe(j2.runId);
    if (isolation === 'netns') expect(j1.environment.subnet).not.toBe(j2.environment.subnet);
  });
});
