import { describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINT_DELAYS } from '../../harness/core/endpoint-delays.js';
import { EndpointModel } from '../../harness/providers/local/endpoint-model.js';

// The modelled control plane on virtual time: when each fault's endpoints
// leave and come back, as Kubernetes + istiod would change them.

function harness() {
  let now = 0;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  const log: string[] = [];
  const model = new EndpointModel(['a', 'b'], DEFAULT_ENDPOINT_DELAYS, {
    publish: (ready, why) => log.push(`${now} ${[...ready].sort().join(',')} ${why.split(' (')[0]}`),
    setTimer: (fn, ms) => {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return { cancel: () => (t.live = false) };
    },
    now: () => now,
  });
  const advance = (to: number) => {
    for (;;) {
      const next = timers.filter((t) => t.live && t.at <= to).sort((x, y) => x.at - y.at)[0];
      if (!next) break;
      next.live = false;
      now = next.at;
      next.fn();
    }
    now = to;
  };
  return { model, log, advance };
}

describe('EndpointModel', () => {
  it('a lost node back before the grace period: its endpoints never change (only outlier detection acts)', () => {
    const { model, log, advance } = harness();
    model.faulted(['a'], 'node-lost');
    advance(8000);
    model.serving('a');
    advance(60_000);
    expect(log).toEqual([]);
  });

  it('a lost node past the grace period: removed at grace + propagation, back one probe + propagation after it serves', () => {
    const { model, log, advance } = harness();
    model.faulted(['a'], 'node-lost');
    advance(30_000);
    model.serving('a');
    advance(60_000);
    expect(log).toEqual(['20500 b a removed', '31500 a,b a added back']);
  });

  it('a killed instance goes not ready even if restarted at once, and returns after its readiness probe', () => {
    const { model, log, advance } = harness();
    model.faulted(['a'], 'container-exited');
    advance(300);
    model.serving('a');
    advance(10_000);
    // Not ready at 1000 (the kubelet's relist), endpoint gone at 1500; ready at 300 + 1000 → max(1300, 1000): at once after, endpoint back 500 ms later.
    expect(log).toEqual(['1500 b a removed', '1800 a,b a added back']);
  });

  it('a frozen instance thawed before its readiness fails keeps its endpoint; frozen longer, it goes', () => {
    const h1 = harness();
    h1.model.faulted(['a'], 'container-frozen');
    h1.advance(2000);
    h1.model.serving('a');
    h1.advance(20_000);
    expect(h1.log).toEqual([]);
    const h2 = harness();
    h2.model.faulted(['a'], 'container-frozen');
    h2.advance(5000);
    h2.model.serving('a');
    h2.advance(20_000);
    expect(h2.log).toEqual(['3500 b a removed', '6500 a,b a added back']);
  });

  it('drains and gray faults change nothing', () => {
    const { model, log, advance } = harness();
    model.faulted(['a', 'b'], 'none');
    advance(60_000);
    expect(log).toEqual([]);
  });

  it('a flapping kill: each death takes the endpoint out again after it came back', () => {
    const { model, log, advance } = harness();
    for (const at of [0, 2500, 5000]) {
      advance(at);
      model.faulted(['a'], 'container-exited');
      advance(at + 1300);
      model.serving('a');
    }
    advance(20_000);
    expect(log).toEqual(['1500 b a removed', '2800 a,b a added back', '4000 b a removed', '5300 a,b a added back', '6500 b a removed', '7800 a,b a added back']);
  });
});
