import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../harness/core/clock.js';
import { InternalError } from '../../harness/core/errors.js';
import { parseExperiment } from '../../harness/core/experiment.js';
import type { Provider } from '../../harness/providers/provider.js';
import { RecordsIncompleteError, runExperiment } from '../../harness/runner/run-experiment.js';
import { trafficFit } from '../../harness/providers/local/machine-fit.js';
import { digestProblem } from '../../harness/report/regenerate.js';
import { coarsened, digestFile } from '../../harness/traffic/ndjson-file.js';
import { RunConsole } from '../../harness/cli/console.js';
import { timelineIssues } from '../../harness/core/timeline.js';
import zoneOutage from '../../experiments/zone-outage.js';
import { series } from '../helpers/records.js';

// Issue #21: a run that measured nothing, or part of its records, never passes;
// an internal error is an error with revert and teardown; the console and the
// digests work at any size.

function instantClock(): Clock {
  let t = 1_000_000;
  return { now: () => t, sleep: async (ms, signal) => { signal?.throwIfAborted(); t += Math.max(0, ms); } };
}

const experiment = parseExperiment(zoneOutage, 'zone-outage');

function provider(stop: Provider['stopTraffic'], calls: string[] = []): Provider {
  return {
    name: 'scripted',
    isolation: 'none',
    provision: async () => void calls.push('provision'),
    deploy: async () => void calls.push('deploy'),
    startTraffic: async () => void calls.push('startTraffic'),
    stopTraffic: stop,
    inject: async () => (calls.push('inject'), { target: 'zone-a', affected: ['svc-a-1'], revert: async () => void calls.push('revert') }),
    teardown: async () => (calls.push('teardown'), []),
    facts: () => ({}),
  };
}

const run = (p: Provider, signal = new AbortController().signal) =>
  runExperiment({ runId: 'r', experiment, provider: p, clock: instantClock(), signal, recovery: { windowMs: 1000, threshold: 1 }, log: () => undefined });

describe('a run without requests never passes', () => {
  it('no request in any phase: every client assertion is unverified and the run fails', async () => {
    const { journal } = await run(provider(async () => ({ records: [], files: [] })));
    expect(journal.assertions.length).toBeGreaterThan(0);
    expect(journal.assertions.every((a) => !a.passed && a.unverified !== undefined)).toBe(true);
    expect(journal.assertions[0]!.unverified).toMatch(/sent no request in the (baseline|fault|recovery) phase/);
    expect(journal.status).toBe('failed');
  });

  it('a client with requests only in the baseline: its fault-phase assertions are unverified, not passed', async () => {
    const start = 1_000_000;
    // Records only in the first second (the baseline): the fault and recovery phases are empty.
    const records = experiment.topology.clients.flatMap((c) => series(start, start + 1000, 50, () => ({ zone: c.locality.zone, region: c.locality.region })).map((r) => ({ ...r, client: c.name })));
    const { journal } = await run(provider(async () => ({ records, files: [] })));
    const recovery = journal.assertions.find((a) => a.metric === 'recovery.timeMs')!;
    expect(recovery.passed).toBe(false);
    expect(recovery.unverified).toMatch(/sent no request in the fault phase/);
    expect(journal.status).toBe('failed');
  });
});

describe('incomplete records', () => {
  it('a driver that could not write its records: status error, the reason named, the assertions unverified', async () => {
    const reason = 'the traffic driver of client-a could not write its records (disk full or an I/O error)';
    const { journal, failure } = await run(provider(async () => ({ records: [], files: [], incomplete: { 'client-a': reason } })));
    expect(failure).toBeInstanceOf(RecordsIncompleteError);
    expect(journal.status).toBe('error');
    expect(journal.error).toContain(reason);
    expect(journal.clients.find((c) => c.name === 'client-a')!.incomplete).toBe(reason);
    const mine = journal.assertions.filter((a) => a.client === 'client-a');
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((a) => !a.passed && a.unverified === reason)).toBe(true);
  });
});

describe('an internal error', () => {
  it('aborts like a signal but is an error: the fault is reverted, everything torn down, status error', async () => {
    const calls: string[] = [];
    const controller = new AbortController();
    const p = provider(async () => ({ records: [], files: [] }), calls);
    // The error strikes right after the inject (as the CLI's guard would, from an uncaught exception).
    p.inject = async () => {
      calls.push('inject');
      controller.abort(new InternalError(new RangeError('Maximum call stack size exceeded')));
      return { target: 'zone-a', affected: ['svc-a-1'], revert: async () => void calls.push('revert') };
    };
    const { journal, failure } = await run(p, controller.signal);
    expect(failure).toBeInstanceOf(InternalError);
    expect(journal.status).toBe('error');
    expect(journal.error).toMatch(/internal error: Maximum call stack size exceeded/);
    expect(calls).toEqual(expect.arrayContaining(['inject', 'revert', 'teardown']));
    expect(calls.indexOf('revert')).toBeLessThan(calls.indexOf('teardown'));
  });
});

describe('trafficFit', () => {
  const ex = (rate: number, clients: number, phases = { baseline: 4000, fault: 8000, recovery: 5000 }) => ({ traffic: { rate }, phases, topology: { clients: Array(clients).fill(0) } });
  it('refuses what this machine cannot drive, with the figures', () => {
    const fit = trafficFit(ex(10_000, 6), 2);
    expect(fit.requestedRps).toBe(60_000);
    expect(fit.drivableRps).toBe(10_000);
    expect(fit.refusal).toMatch(/6 clients × 10000 req\/s = 60000 req\/s, and this machine drives about 10000 req\/s/);
  });
  it('accepts what it can, and refuses a phase that would hold no request', () => {
    expect(trafficFit(ex(20, 3), 2).refusal).toBeNull();
    expect(trafficFit(ex(0.1, 3), 2).tooFew).toMatch(/about 0.40 requests in the 4 s baseline phase/);
    expect(trafficFit(ex(2, 3), 2).warnings.join()).toMatch(/about 8 requests in the baseline phase/);
  });
  it('refuses a run with more records than one analysis holds', () => {
    expect(trafficFit(ex(1000, 10, { baseline: 600_000, fault: 600_000, recovery: 0 }), 8).refusal).toMatch(/would record about 12000000 requests/);
  });
});

describe('records digests locate a change', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fh-digest-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ client: 'c', n: i }));
  const write = (name: string, l: string[]) => {
    const path = join(dir, name);
    writeFileSync(path, `${l.join('\n')}\n`);
    return path;
  };
  const recorded = coarsened(digestFile(write('orig.ndjson', lines)));

  it('a line removed from the middle is located there, not blamed on the tail', () => {
    const now = digestFile(write('middle.ndjson', lines.filter((_, i) => i !== 500)));
    const problem = digestProblem('x', recorded, now)!;
    expect(problem).toMatch(/999 records, the run wrote 1000: the file first differs from what the run wrote within lines 497–504 \(1 line removed; lines 1–496 are as written\)/);
    expect(problem).not.toMatch(/tail/);
  });

  it('a cut tail is named as such', () => {
    const now = digestFile(write('tail.ndjson', lines.slice(0, 998)));
    expect(digestProblem('x', recorded, now)).toMatch(/998 records, the run wrote 1000: the file lost lines within lines 993–1000, its last block \(its tail was cut/);
  });

  it('an edit in place is located', () => {
    const now = digestFile(write('edit.ndjson', lines.map((l, i) => (i === 10 ? l.replace('"n":10', '"n":11') : l))));
    expect(digestProblem('x', recorded, now)).toMatch(/first differs from what the run wrote within lines 9–16 \(edited; lines 1–8 are as written\)/);
  });

  it('the same file has no problem; blocks of a big file are merged to at most 4096', () => {
    expect(digestProblem('x', recorded, digestFile(join(dir, 'orig.ndjson')))).toBeNull();
    const big = coarsened({ lines: 0, sha256: '', blockLines: 8, blocks: Array.from({ length: 10_000 }, (_, i) => String(i)) });
    expect(big.blocks!.length).toBeLessThanOrEqual(4096);
    expect(big.blockLines).toBe(32);
  });
});

describe('the console at any size', () => {
  afterEach(() => vi.useRealTimers());
  it('a tick with a million records does not overflow the stack', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fh-console-'));
    mkdirSync(join(dir, 'records'));
    writeFileSync(join(dir, 'records', 'c.ndjson'), '{"client":"c"}\n'.repeat(1_000_000));
    vi.useFakeTimers();
    const c = new RunConsole();
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      c.watch(dir, ['c'], { baseline: 1000, fault: 1000, recovery: 1000 });
      expect(() => vi.advanceTimersByTime(3000)).not.toThrow();
    } finally {
      c.stop();
      write.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('timeline caps', () => {
  it('refuses more injections than keep to plan', () => {
    const faults = [{ kind: 'kill-instance' as const, target: { node: 'n' }, duration: 100, repeat: { times: 40, every: 300 } }, { kind: 'kill-instance' as const, target: { node: 'm' }, duration: 100, repeat: { times: 20, every: 300 } }];
    const issues = timelineIssues(faults, 60_000, (i) => [`t${i}`]);
    expect(issues.map((i) => i.message).join()).toMatch(/the timeline has 60 injections .* at most 50 keep to plan/);
  });
});

describe('lateness against the plan', () => {
  it('each injection records how late it started, and a late one is marked on the timeline', async () => {
    const rolling = parseExperiment((await import('../../experiments/rolling-zone-outage.js')).default, 'rolling-zone-outage');
    const clock = instantClock();
    const p = provider(async () => ({ records: [], files: [] }));
    // The first inject takes 7 s: the second (planned at 6 s) starts about 1 s behind its plan.
    let first = true;
    p.inject = async () => {
      if (first) await clock.sleep(7000);
      first = false;
      return { target: 'z', affected: ['svc'], revert: async () => undefined };
    };
    const { journal } = await runExperiment({ runId: 'r', experiment: rolling, provider: p, clock, signal: new AbortController().signal, recovery: { windowMs: 1000, threshold: 1 }, log: () => undefined });
    expect(journal.faults.map((f) => f.lateMs)).toEqual([0, 1000]);
    expect(journal.timeline.find((e) => e.event === 'late')?.detail).toBe('injection 1 started 1000 ms behind its plan');
  });
});
