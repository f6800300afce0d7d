import { describe, expect, it } from 'vitest';
import type { Clock } from '../../harness/core/clock.js';
import { parseExperiment } from '../../harness/core/experiment.js';
import type { Provider } from '../../harness/providers/provider.js';
import { runExperiment } from '../../harness/runner/run-experiment.js';
import drainListeners from '../../experiments/drain-listeners.js';

// The runner's promises, checked with a scripted provider and an instant clock:
// revert always follows inject, teardown always runs, failures become an
// `error` journal rather than an exception.

function instantClock(): Clock {
  let t = 1_000_000;
  return { now: () => t, sleep: async (ms, signal) => { signal?.throwIfAborted(); t += Math.max(0, ms); } };
}

function scripted(fail: Partial<Record<'inject' | 'revert' | 'stopTraffic' | 'deploy', boolean>>) {
  const calls: string[] = [];
  const step = (name: keyof typeof fail | string) => {
    calls.push(name);
    if (fail[name as keyof typeof fail]) throw new Error(`${name} broke`);
  };
  const provider: Provider = {
    name: 'scripted',
    isolation: 'none',
    provision: async () => step('provision'),
    deploy: async () => step('deploy'),
    startTraffic: async () => step('startTraffic'),
    stopTraffic: async () => (step('stopTraffic'), { records: [], files: [] }),
    inject: async () => (step('inject'), { target: 't', affected: ['x'], revert: async () => step('revert') }),
    teardown: async () => (step('teardown'), []),
    facts: () => ({}),
  };
  return { provider, calls };
}

const experiment = parseExperiment(drainListeners, 'drain-listeners');
const run = (provider: Provider, signal = new AbortController().signal) =>
  runExperiment({ runId: 'r', experiment, provider, clock: instantClock(), signal, recovery: { windowMs: 1000, threshold: 1 }, log: () => undefined });

describe('runExperiment', () => {
  it('runs the stages in order', async () => {
    const { provider, calls } = scripted({});
    const { journal, failure } = await run(provider);
    expect(calls).toEqual(['provision', 'deploy', 'startTraffic', 'inject', 'revert', 'stopTraffic', 'teardown']);
    expect(failure).toBeUndefined();
    expect(journal.faults[0]!.revertedAtMs).toEqual(expect.any(Number));
  });

  it('tears down even when collecting records fails, and reports an error', async () => {
    const { provider, calls } = scripted({ stopTraffic: true });
    const { journal, failure } = await run(provider);
    expect(calls.at(-1)).toBe('teardown');
    expect(journal.status).toBe('error');
    expect(String(failure)).toContain('stopTraffic broke');
  });

  it('tears down when deploy fails, without injecting', async () => {
    const { provider, calls } = scripted({ deploy: true });
    const { journal } = await run(provider);
    expect(calls).toEqual(['provision', 'deploy', 'teardown']);
    expect(journal.status).toBe('error');
    expect(journal.error).toContain('deploy broke');
  });

  it('a failed revert is an error, and teardown still runs', async () => {
    const { provider, calls } = scripted({ revert: true });
    const { journal } = await run(provider);
    expect(calls).toContain('teardown');
    expect(journal.status).toBe('error');
    expect(journal.timeline.map((e) => e.event)).toContain('revert-failed');
  });

  it('an abort reverts and tears down, and the journal says aborted', async () => {
    const { provider, calls } = scripted({});
    const controller = new AbortController();
    const original = provider.inject;
    provider.inject = async (spec) => {
      const f = await original(spec);
      controller.abort('SIGINT');
      return f;
    };
    const { journal, failure } = await run(provider, controller.signal);
    expect(calls).toEqual(['provision', 'deploy', 'startTraffic', 'inject', 'revert', 'stopTraffic', 'teardown']);
    expect(journal.status).toBe('aborted');
    expect(failure).toBeUndefined();
  });

  it('stamps the revert when issued and readiness when back; the recovery phase runs its length after readiness', async () => {
    const clock = instantClock();
    const { provider } = scripted({});
    provider.inject = async () => ({
      target: 't',
      affected: ['x'],
      revert: async () => undefined,
      // A kind node takes 40 s to be Ready again.
      awaitRecovered: () => clock.sleep(40_000),
    });
    const { journal } = await runExperiment({ runId: 'r', experiment, provider, clock, signal: new AbortController().signal, recovery: { windowMs: 1000, threshold: 1 }, log: () => undefined });
    const f = journal.faults[0]!;
    expect(f.revertReadyAtMs! - f.revertedAtMs!).toBe(40_000);
    const recovery = journal.timeline.find((e) => e.event === 'recovery')!;
    const stop = journal.timeline.find((e) => e.event === 'stop-traffic')!;
    expect(stop.at - f.revertReadyAtMs!).toBe(experiment.phases.recovery);
    expect(recovery.at).toBe(f.revertReadyAtMs);
  });

  it('a fault that does not come back is an error, not a pass', async () => {
    const { provider } = scripted({});
    provider.inject = async () => ({ target: 't', affected: ['x'], revert: async () => undefined, awaitRecovered: async () => Promise.reject(new Error('node fh-c1-worker not Ready')) });
    const { journal } = await run(provider);
    expect(journal.status).toBe('error');
    expect(journal.faults[0]!.revertReadyAtMs).toBeNull();
    expect(journal.timeline.map((e) => e.event)).toContain('not-ready');
  });
});
