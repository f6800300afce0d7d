import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { CLEAN, machineState } from '../helpers/machine.js';
import { REPO, runCli, tempDir } from '../helpers/cli.js';

// The crash test: start an experiment, SIGKILL the harness at a random moment
// or right after a chosen ledger entry, run `cleanup`, and check the machine is
// exactly as before. CHAOS_TRIALS sets the number of trials (default 20).

const TRIALS = Number(process.env.CHAOS_TRIALS ?? 20);
const netns = process.getuid?.() === 0;

/** Crash right after these ledger entries: provisioning, deploy, inject, revert and teardown. [hook, mode, experiment?] */
const HOOKS: [string, string, string?][] = netns
  ? [
      ['acquire:link', 'kill'],
      ['acquire:netns', 'freeze'],
      ['acquire:processes', 'kill'],
      ['acquire:frozen', 'freeze'],
      ['acquire:killed', 'kill'],
      ['acquire:link-down', 'isolate'],
      ['acquire:nft-table', 'kill', 'zone-partition'],
      ['release:killed', 'kill'],
      ['release:link-down', 'isolate'],
      ['release:processes', 'freeze'],
    ]
  : [
      ['acquire:processes', 'kill'],
      ['acquire:frozen', 'freeze'],
      ['acquire:killed', 'kill'],
      ['release:frozen', 'freeze'],
      ['release:killed', 'kill'],
    ];

function stateFiles(): string[] {
  const list = (dir: string) => {
    try {
      return readdirSync(dir).map((f) => `${dir}/${f}`);
    } catch {
      return [];
    }
  };
  return [...list('/run/failover-harness').filter((f) => !f.endsWith('/locks')), ...list('/run/failover-harness/locks')];
}

describe('crash test', () => {
  it(`leaves nothing behind after ${TRIALS} SIGKILLed runs and a cleanup`, async () => {
    const before = stateFiles();
    let clean = 0;
    const failures: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const useHook = trial % 2 === 0;
      const [hook, hookMode, hookExperiment] = HOOKS[(trial / 2) % HOOKS.length | 0]!;
      const modes = netns ? ['kill', 'freeze', 'isolate'] : ['kill', 'freeze'];
      const mode = useHook ? hookMode : modes[trial % modes.length]!;
      const killAfterMs = Math.floor(Math.random() * 11_000);
      const experiment = useHook && hookExperiment ? hookExperiment : 'zone-outage';
      const reportDir = tempDir('crash');
      const args = ['harness/cli/experiment.ts', experiment, '--isolation', netns ? 'netns' : 'process', '--mode', mode, '--report-dir', reportDir, '--baseline', '1s', '--duration', '2s', '--recovery', '2s'];
      const child = execa(process.execPath, ['--import', 'tsx', ...args], {
        cwd: REPO,
        reject: false,
        env: useHook ? { FAILOVER_HARNESS_CRASH_AFTER: hook } : {},
      });
      if (!useHook) void delay(killAfterMs).then(() => child.kill('SIGKILL'));
      const result = await child;
      const what = `${experiment}: ${useHook ? `crash after ${hook}` : `SIGKILL at ${killAfterMs} ms`} (${mode})`;
      console.log(`trial ${trial}: ${what} → ${result.signal ?? `exit ${result.exitCode}`}`);
      // A hook that never fired would make the trial test nothing.
      if (useHook && result.signal !== 'SIGKILL') failures.push(`trial ${trial}: ${what} never reached its hook (exit ${result.exitCode})`);
      const cleanup = await runCli([], 'cleanup');
      const after = await machineState();
      const files = stateFiles().filter((f) => !before.includes(f));
      // A run killed after its ledger began (every hook trial) leaves a report folder marked crashed, without the driver bundle.
      if (useHook && result.signal === 'SIGKILL') {
        const report = existsSync(join(reportDir, 'report.json')) ? (JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as { status: string }) : undefined;
        if (report?.status !== 'crashed') failures.push(`trial ${trial}, ${what}: report folder not marked crashed (${report?.status ?? 'no report.json'})`);
        if (existsSync(join(reportDir, 'logs', 'driver.mjs'))) failures.push(`trial ${trial}, ${what}: the driver bundle was left in the report folder`);
      }
      if (cleanup.exitCode === 0 && JSON.stringify(after) === JSON.stringify(CLEAN) && files.length === 0) clean++;
      else failures.push(`trial ${trial}, ${what}: cleanup exit ${cleanup.exitCode}, left ${JSON.stringify(after)} ${files.join(' ')}\n${cleanup.output}`);
    }
    console.log(`trials: ${TRIALS}, clean: ${clean}`);
    expect(failures).toEqual([]);
    expect(clean).toBe(TRIALS);
  });
});
