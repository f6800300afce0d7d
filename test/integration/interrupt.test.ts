import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { CLEAN, machineState } from '../helpers/machine.js';
import { readJournal, startCli, tempDir } from '../helpers/cli.js';

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
    // zone-a is reverted at 3 s of the fault phase; zone-b would go at 5 s.
    for (let i = 0; i < 400 && !output.includes('reverted: zone-outage'); i++) await delay(100);
    expect(output).toContain('reverted: zone-outage');
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    const j = readJournal(dir);
    expect(j.status).toBe('aborted');
    expect(j.faults.map((f) => [f.target, f.revertedAtMs !== null])).toEqual([['zone=zone-a,region=eu-west-1', true]]);
  });
});
