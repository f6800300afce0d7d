import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { CLEAN, machineState } from '../helpers/machine.js';
import { readJournal, REPO, runCli, startCli, tempDir } from '../helpers/cli.js';
import { processStat } from '../../harness/exec/index.js';

afterEach(async () => {
  expect(await machineState()).toEqual(CLEAN);
});

describe('Ctrl-C', () => {
  it.each(process.getuid?.() === 0 ? ['netns', 'process'] : ['process'])('during a frozen zone reverts, tears down, writes an aborted report and exits 130 (%s)', async (isolation) => {
    const dir = tempDir('int');
    const child = startCli(['zone-outage', '--isolation', isolation, '--mode', 'freeze', '--report-dir', dir, '--baseline', '2s', '--duration', '30s']);
    let output = '';
    child.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 300 && !output.includes('injected:'); i++) await delay(100);
    expect(output).toContain('injected:');
    child.kill('SIGINT');
    await delay(20);
    child.kill('SIGINT'); // a second Ctrl-C must not abandon the revert
    const started = Date.now();
    const result = await child;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.exitCode).toBe(130);
    expect(String(result.all)).toContain('still reverting');
    const j = readJournal(dir);
    expect(j.status).toBe('aborted');
    expect(j.faults[0]!.revertedAtMs).toEqual(expect.any(Number));
  });

  it('between two steps of a rolling outage: the first zone is back, the second never goes, nothing is left', async () => {
    const dir = tempDir('int-roll');
    const child = startCli(['rolling-zone-outage', '--report-dir', dir, '--baseline', '2s']);
    let output = '';
    child.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // zone-a is reverted at 3 s of the fault phase; zone-b would go at 6 s.
    for (let i = 0; i < 400 && !output.includes('reverted: zone-outage'); i++) await delay(100);
    expect(output).toContain('reverted: zone-outage');
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    const j = readJournal(dir);
    expect(j.status).toBe('aborted');
    expect(j.faults.map((f) => [f.target, f.revertedAtMs !== null])).toEqual([['zone=zone-a,region=eu-west-1', true]]);
  });

  it('SIGTERM to the process group of `npm run experiment` (what CI runners, timeout and systemd send): npm returns only after revert and teardown, report written', async () => {
    const dir = tempDir('int-term');
    // detached: npm leads its own process group, as under a CI runner or `timeout`.
    const npm = execa('npm', ['run', '-s', 'experiment', '--', 'zone-outage', '--report-dir', dir, '--baseline', '2s', '--duration', '30s'], { cwd: REPO, reject: false, all: true, detached: true });
    let output = '';
    npm.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 300 && !output.includes('injected:'); i++) await delay(100);
    expect(output).toContain('injected:');
    process.kill(-npm.pid!, 'SIGTERM');
    const result = await npm;
    // The moment npm returns, the run has finished its teardown: report written, nothing left running.
    expect(existsSync(join(dir, 'report.json'))).toBe(true);
    expect(readJournal(dir).status).toBe('aborted');
    expect(await machineState()).toEqual(CLEAN);
    expect(String(result.all)).toContain('tearing down');
    expect(result.exitCode === 130 || result.exitCode === 143 || result.signal === 'SIGTERM').toBe(true);
  });

  it('during the baseline, before any fault: the figures that never happened are absent, not 0 ms', async () => {
    const dir = tempDir('int-early');
    const child = startCli(['zone-outage', '--report-dir', dir, '--baseline', '20s']);
    let output = '';
    child.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 300 && !output.includes('baseline:'); i++) await delay(100);
    await delay(1500);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    const j = readJournal(dir);
    expect(j.status).toBe('aborted');
    expect(j.faults).toEqual([]);
    expect(j.clients.length).toBeGreaterThan(0);
    for (const c of j.clients) {
      expect(c.phases.baseline.requests).toBeGreaterThan(0);
      expect(c).not.toHaveProperty('recoveryTimeMs');
      expect(c).not.toHaveProperty('timeToFailoverMs');
      expect(c).not.toHaveProperty('failbackTimeMs');
    }
    expect(j.metrics).not.toHaveProperty('worstRecoveryTimeMs');
    const all = String(result.all);
    expect(all).not.toMatch(/\bnull\b|undefined|NaN/);
    expect(all).toContain('not measured');
  });
});


describe('the console in CI mode', () => {
  it('CI=true without a TTY: no null/undefined/NaN, every second of traffic in the live lines, ends naming report.html', async () => {
    const dir = tempDir('ci-console');
    // The recovery phase covers the failback budget (10 s): at 4 s, CI's slower machine ended the run before the
    // sidecar took zone-a back (about 4.3 s here), and the run failed for it.
    const r = await execa(process.execPath, ['--import', 'tsx', 'harness/cli/experiment.ts', 'zone-outage', '--report-dir', dir, '--baseline', '3s', '--recovery', '11s'], { cwd: REPO, reject: false, all: true, env: { CI: 'true', NO_COLOR: '' } });
    const out = String(r.all);
    expect(r.exitCode, out).toBe(0);
    expect(out).not.toMatch(/\bnull\b|undefined|NaN/);
    expect(out).not.toContain('\x1b[');
    expect(out.trim().split('\n').at(-1)).toBe(`report: ${dir}/report.html`);
    expect(out).toMatch(/\[fault \d+\.\d\/\d+\.\d s\] client-a/);
    // A live line every 3 s through the whole run, each giving the rate the client sent at over the time its
    // requests cover (by send time: a line's count times 3 s is no count of requests; the first and the last cover
    // a moment of it).
    const j = readJournal(dir);
    const rate = j.settings.ratePerClient;
    const runS = (j.settings.phasesMs.baseline + j.settings.phasesMs.fault + j.settings.phasesMs.recovery) / 1000;
    const rates = [...out.matchAll(/\] client-a\s+(\d+) req\/s/g)].map((m) => Number(m[1]));
    expect(rates.length).toBeGreaterThanOrEqual(Math.floor(runS / 3) - 1);
    for (const r of rates.slice(1, -1)) {
      expect(r).toBeGreaterThanOrEqual(rate * 0.5);
      expect(r).toBeLessThanOrEqual(rate * 1.5);
    }
  });
});

describe('cleanup after a crash', () => {
  it('a SIGKILLed harness its parent has not reaped (a zombie) is dead to `npm run cleanup`, which removes everything it left', async () => {
    const dir = tempDir('zombie');
    // A parent shell runs the harness and waits for it. Stopped, the parent cannot reap the harness once it is killed:
    // the harness stays a zombie, deterministically (what a container without an init does for ever).
    const parent = execa('sh', ['-c', `"${process.execPath}" --import tsx harness/cli/experiment.ts zone-outage --report-dir "${dir}" --baseline 2s --duration 30s > "${dir}/out.log" 2>&1 & echo $! > "${dir}/harness.pid"; wait`], { cwd: REPO, reject: false, detached: true });
    try {
      const log = () => (existsSync(join(dir, 'out.log')) ? readFileSync(join(dir, 'out.log'), 'utf8') : '');
      for (let i = 0; i < 300 && !log().includes('injected:'); i++) await delay(100);
      expect(log()).toContain('injected:');
      const harness = Number(readFileSync(join(dir, 'harness.pid'), 'utf8'));
      process.kill(parent.pid!, 'SIGSTOP');
      process.kill(harness, 'SIGKILL');
      let state = '';
      for (let i = 0; i < 50 && state !== 'Z'; i++) {
        await delay(50);
        state = processStat(harness)?.state ?? '';
      }
      expect(state).toBe('Z');
      const r = await runCli([], 'cleanup');
      expect(r.output).not.toContain('still running');
      expect(r.output).toMatch(/cleanup: 1 run\(s\), \d+ resource\(s\) undone, 0 failure\(s\)/);
      expect(r.exitCode).toBe(0);
    } finally {
      process.kill(parent.pid!, 'SIGCONT');
      await parent;
    }
  });
});
