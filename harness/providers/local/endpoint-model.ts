import type { EndpointDelays } from '../../core/endpoint-delays.js';

// The modelled control plane: which endpoints Kubernetes lists as ready, and
// so which ones istiod sends each sidecar, as faults come and go. Each fault
// kind changes the endpoints as Kubernetes would for it, after a named delay
// (EndpointDelays); a drain or a misbehaving instance changes nothing (only
// outlier detection acts on those). The model decides when; the provider
// writes the EDS files (sidecars.ts).

/** What a fault does to the endpoints of the instances it hits. */
export type EndpointEffect = 'node-lost' | 'container-exited' | 'container-frozen' | 'none';

/** How long after a fault its instances' pods go not ready (null: never, only outlier detection acts). */
export function notReadyDelayMs(effect: EndpointEffect, d: EndpointDelays): number | null {
  switch (effect) {
    case 'node-lost':
      return d.nodeMonitorGracePeriod;
    case 'container-exited':
      return d.containerExitDetection;
    case 'container-frozen':
      return d.readinessFailure;
    default:
      return null;
  }
}

/** When, after the fault takes effect, its instances' endpoints are removed (null: never). */
export function removalDelayMs(effect: EndpointEffect, d: EndpointDelays): number | null {
  const notReady = notReadyDelayMs(effect, d);
  return notReady === null ? null : notReady + d.endpointPropagation;
}

/** Why the endpoints went, for the timeline. */
const WHY: Record<Exclude<EndpointEffect, 'none'>, string> = {
  'node-lost': 'node-monitor grace period passed: pods marked not ready',
  'container-exited': 'container exit seen by the kubelet: pod not ready',
  'container-frozen': 'readiness probe failed: pod not ready',
};

export interface EndpointModelHooks {
  /** The ready set changed: write every client's EDS. */
  publish: (ready: ReadonlySet<string>, why: string) => void;
  setTimer: (fn: () => void, ms: number) => { cancel: () => void };
  now: () => number;
}

interface PodState {
  effect: Exclude<EndpointEffect, 'none'>;
  /** The pod's Ready condition as Kubernetes has it (the endpoint follows after the propagation delay). */
  ready: boolean;
  /** When the instance served again after its revert, if it has. */
  servingSince?: number;
  timer?: { cancel: () => void };
}

/**
 * Pods' readiness as Kubernetes would see it, and the endpoints that follow it
 * after the propagation delay. A fault makes its pods not ready after its
 * delay (a lost node: the grace period; a dead container: the kubelet's next
 * relist; a frozen one: its failing readiness probe). A lost node or a frozen
 * container back before then never went not ready; a dead container did,
 * whatever followed. A not-ready pod is ready again one passing probe after its
 * instance serves.
 */
export class EndpointModel {
  private readonly ready: Set<string>;
  private readonly pods = new Map<string, PodState>();
  private readonly propagating = new Set<{ cancel: () => void }>();

  constructor(
    instances: readonly string[],
    private readonly delays: EndpointDelays,
    private readonly hooks: EndpointModelHooks,
  ) {
    this.ready = new Set(instances);
  }

  /** A fault took effect on these instances. */
  faulted(instances: readonly string[], effect: EndpointEffect): void {
    const delay = notReadyDelayMs(effect, this.delays);
    if (delay === null || effect === 'none') return;
    for (const i of instances) {
      const pod: PodState = { ready: this.pods.get(i)?.ready ?? true, effect };
      this.pods.get(i)?.timer?.cancel();
      this.pods.set(i, pod);
      // A pod already not ready stays so (a readiness that was about to pass will not, the instance is down again).
      if (pod.ready) pod.timer = this.hooks.setTimer(() => this.podReady(i, pod, false), delay);
    }
  }

  /** A reverted instance serves again. */
  serving(instance: string): void {
    const pod = this.pods.get(instance);
    if (!pod) return;
    pod.servingSince = this.hooks.now();
    if (!pod.ready) return this.becomeReady(instance, pod);
    if (pod.effect === 'container-exited') return; // it goes not ready all the same; ready again after (podReady)
    pod.timer?.cancel();
    this.pods.delete(instance);
  }

  private becomeReady(instance: string, pod: PodState): void {
    pod.timer?.cancel();
    const at = Math.max(this.hooks.now(), pod.servingSince! + this.delays.readinessSuccess);
    pod.timer = this.hooks.setTimer(() => this.podReady(instance, pod, true), at - this.hooks.now());
  }

  private podReady(instance: string, pod: PodState, ready: boolean): void {
    pod.timer = undefined;
    pod.ready = ready;
    if (ready) this.pods.delete(instance);
    else if (pod.servingSince !== undefined) this.becomeReady(instance, pod);
    // The endpoint follows the pod after the propagation delay (EndpointSlice controller, istiod, the push).
    const t = this.hooks.setTimer(() => {
      this.propagating.delete(t);
      if (ready) this.ready.add(instance);
      else this.ready.delete(instance);
      this.hooks.publish(this.ready, ready ? `${instance} added back (its readiness probe passed)` : `${instance} removed (${WHY[pod.effect]})`);
    }, this.delays.endpointPropagation);
    this.propagating.add(t);
  }

  /** Cancels every pending change (teardown). */
  close(): void {
    for (const p of this.pods.values()) p.timer?.cancel();
    for (const t of this.propagating) t.cancel();
    this.pods.clear();
    this.propagating.clear();
  }
}
