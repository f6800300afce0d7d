import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { CLEAN, machineState } from '../helpers/machine.js';
import { REPO, tempDir } from '../helpers/cli.js';
import type { Journal } from '../../harness/core/journal.js';

// The internal-error chaos test: an error nobody catches (thrown from a timer,
// or a promise left rejected) at a random stage of a run. Each must end with
// the fault reverted, everything torn down, report.json status `error` naming
// the error, and exit 4, with no cleanup needed. CHAOS_TRIALS sets how many
// stage × kind pairs are drawn (default 8).

const TRIALS = Number(process.env.CHAOS_TRIALS_INTERNAL ?? 8);
const STAGES = ['provision', 'deploy', 'baseline', 'fault', 'injected', 'reverted', 'recovery', 'stop-traffic', 'teardown'];
const netns = process.getuid?.() === 0;

describe('internal errors at random stages', () => {
  it(`revert, tear down and report every one (${TRIALS} trials)`, async () => {
    const failures: string[] = [];
    // Every stage once before any repeats, in random order; half throw, half reject.
    const order = [...STAGES].sort(() => Math.random() - 0.5);
    for (let trial = 0; trial < TRIALS; trial++) {
      const stage = order[trial % order.length]!;
      const how = trial % 2 === 0 ? 'throw' : 'reject';
      const dir = tempDir('internal');
      const result = await execa(process.execPath, ['--import', 'tsx', 'harness/cli/experiment.ts', 'zone-outage', '--isolation', netns ? 'netns' : 'process', '--mode', 'freeze', '--report-dir', dir, '--baseline', '1s', '--duration', '2s', '--recovery', '1s'], {
        cwd: REPO,
        reject: false,
        all: true,
        env: { FAILOVER_HARNESS_THROW_AT: how === 'throw' ? stage : `${stage}:reject` },
      });
      const what = `trial ${trial}: ${how} after ${stage}`;
      const journal = existsSync(join(dir, 'report.json')) ? (JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Journal) : undefined;
      const state = await machineState();
      console.log(`${what} → exit ${result.exitCode}, status ${journal?.status ?? 'no report'}`);
      if (result.exitCode !== 4) failures.push(`${what}: exit ${result.exitCode}\n${String(result.all).slice(-2000)}`);
      if (journal?.status !== 'error' || !/injected internal error after stage/.test(journal.error ?? '')) failures.push(`${what}: report status ${journal?.status}, error ${journal?.error}`);
      // A fault that was injected is reverted (frozen instances thawed), whatever the stage.
      if (journal?.faults.some((f) => f.revertedAtMs === null)) failures.push(`${what}: a fault was never reverted`);
      if (JSON.stringify(state) !== JSON.stringify(CLEAN)) failures.push(`${what}: left ${JSON.stringify(state)}`);
    }
    expect(failures).toEqual([]);
  });
});
