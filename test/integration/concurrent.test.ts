import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { CLEAN, machineState } from '../helpers/machine.js';
import { FAST, readJournal, runCli, startCli, tempDir } from '../helpers/cli.js';

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

  it('a report dir a live run is writing to is refused (exit 2, the live run untouched); a finished run\'s dir is replaced whole, never merged', async () => {
    const dir = tempDir('cc-dir');
    const first = await runCli(['drain-listeners', '--report-dir', dir, ...FAST]);
    expect(first.exitCode, first.output).toBe(0);
    const readJournalOnce = readJournal(dir);

    const live = startCli(['drain-listeners', '--report-dir', dir, '--baseline', '2s', '--duration', '20s']);
    let output = '';
    live.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 300 && !output.includes('injected:'); i++) await delay(100);
    expect(output).toContain('replacing the earlier run there');
    const second = await runCli(['drain-listeners', '--report-dir', dir, ...FAST]);
    expect(second.exitCode).toBe(2);
    expect(second.output).toMatch(/in use by a run still going \(pid \d+\)/);
    live.kill('SIGINT');
    expect((await live).exitCode).toBe(130);

    // The aborted run replaced the first one's outputs: its records are its own, one run's worth, checked against its digests.
    const again = readJournal(dir);
    expect(again.status).toBe('aborted');
    const startedAt = Date.parse(again.startedAt);
    expect(startedAt).toBeGreaterThan(Date.parse(readJournalOnce.startedAt));
    for (const file of again.records.files) {
      const lines = readFileSync(join(dir, file), 'utf8').split('\n').filter((l) => l.trim());
      expect(lines.length).toBe(again.records.digests![file]!.lines);
      // Nothing of the first run is left in them.
      for (const line of lines) expect((JSON.parse(line) as { sentAt?: number; at?: number }).sentAt ?? startedAt).toBeGreaterThanOrEqual(startedAt);
    }
    expect(existsSync(join(dir, '.fh-run.lock'))).toBe(false);
  });
});

