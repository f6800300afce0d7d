// Checks of the host before any cluster is made, and of the clusters before
// traffic starts. Pure: the provider gathers the figures.

/** kind's known-issues page: Ubuntu's defaults (8192 watches, 128 instances) are too few for many nodes. */
export const INOTIFY_MIN = { maxUserWatches: 524_288, maxUserInstances: 512 };

/**
 * Memory a kind node needs with an Istio-injected echo or client on it
 * (kubelet, containerd, kube-proxy, CNI, sidecar, Node process); estimates
 * from kind's and Istio's sizing, conservative for a laptop.
 */
export const NODE_MEMORY_BYTES = { controlPlane: 1_536 * 2 ** 20, worker: 640 * 2 ** 20 };

export interface HostFigures {
  maxUserWatches: number | null;
  maxUserInstances: number | null;
  /** Docker's MemTotal (the VM's on Docker Desktop). */
  dockerMemoryBytes: number | null;
  controlPlaneNodes: number;
  workerNodes: number;
}

/** What is short, each with the line that fixes it. Empty when the host will do. */
export function hostCapacityFindings(h: HostFigures): { what: string; how: string }[] {
  const out: { what: string; how: string }[] = [];
  if (h.maxUserWatches !== null && h.maxUserWatches < INOTIFY_MIN.maxUserWatches) {
    out.push({ what: `fs.inotify.max_user_watches is ${h.maxUserWatches} (kind needs ${INOTIFY_MIN.maxUserWatches} for many nodes)`, how: `sudo sysctl fs.inotify.max_user_watches=${INOTIFY_MIN.maxUserWatches}` });
  }
  if (h.maxUserInstances !== null && h.maxUserInstances < INOTIFY_MIN.maxUserInstances) {
    out.push({ what: `fs.inotify.max_user_instances is ${h.maxUserInstances} (kind needs ${INOTIFY_MIN.maxUserInstances} for many nodes)`, how: `sudo sysctl fs.inotify.max_user_instances=${INOTIFY_MIN.maxUserInstances}` });
  }
  const need = h.controlPlaneNodes * NODE_MEMORY_BYTES.controlPlane + h.workerNodes * NODE_MEMORY_BYTES.worker;
  if (h.dockerMemoryBytes !== null && h.dockerMemoryBytes < need) {
    const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
    out.push({
      what: `Docker has ${gib(h.dockerMemoryBytes)} of memory; ${h.controlPlaneNodes} control-plane and ${h.workerNodes} worker nodes need about ${gib(need)}`,
      how: 'give Docker more memory (Docker Desktop: Settings → Resources), or run a smaller topology',
    });
  }
  return out;
}

/** One reading of a node's clock, bracketed by the host's. */
export interface ClockSample {
  hostBeforeMs: number;
  nodeMs: number;
  hostAfterMs: number;
}

/**
 * The node clock's offset from the host's (node − host), from the sample with
 * the shortest round trip (the tightest bracket), and the bound of the
 * estimate (half that round trip).
 */
export function clockOffset(samples: readonly ClockSample[]): { offsetMs: number; uncertaintyMs: number } {
  if (samples.length === 0) throw new Error('no clock samples');
  const best = [...samples].sort((a, b) => a.hostAfterMs - a.hostBeforeMs - (b.hostAfterMs - b.hostBeforeMs))[0]!;
  const mid = (best.hostBeforeMs + best.hostAfterMs) / 2;
  return { offsetMs: best.nodeMs - mid, uncertaintyMs: (best.hostAfterMs - best.hostBeforeMs) / 2 };
}

/** The refusal threshold: phase windows are host time, request send times node time. */
export const MAX_CLOCK_OFFSET_MS = 50;

/** Whether the offset is certainly above the limit (the estimate's bound given the benefit of the doubt). */
export function clockOffsetTooLarge(o: { offsetMs: number; uncertaintyMs: number }): boolean {
  return Math.abs(o.offsetMs) - o.uncertaintyMs > MAX_CLOCK_OFFSET_MS;
}

/** "client version: 1.30.3", "1.30.3", "1.30.3-distroless" → "1.30.3". */
export function parseIstioVersion(text: string): string | null {
  return /\b(\d+\.\d+\.\d+)\b/.exec(text)?.[1] ?? null;
}

/** Whether an installed istioctl fits the pin: same major.minor, any patch (a pin of x.y.z is taken as x.y). */
export function istioVersionFits(installed: string, pinned: string): boolean {
  const minor = (v: string) => v.split('.').slice(0, 2).join('.');
  return minor(installed) === minor(pinned);
}
