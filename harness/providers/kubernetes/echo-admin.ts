import type { Kube } from './kube.js';

// Faults through the echo server's own admin endpoint, from inside its pod
// (the admin listener is on the pod's loopback). The same calls the local
// provider makes over HTTP: a drain closes the listener and every open
// connection, so the pod's sidecar sees refused connections and answers 503,
// which the client's outlier detection ejects. (Draining Envoy's listeners
// instead leaves pooled connections serving: kind-live-review.md #3.)

export type EchoAdminAction = 'drain' | 'restore' | 'fail' | 'slow';

export const ECHO_CONTAINER = 'echo';

/** kubectl exec argv of one admin call in one echo pod. */
export function echoAdminArgs(namespace: string, pod: string, action: EchoAdminAction | 'state', query = ''): string[] {
  return ['-n', namespace, 'exec', pod, '-c', ECHO_CONTAINER, '--', 'node', '--import', 'tsx', 'harness/workloads/echo-admin.ts', action, ...(query ? ['--query', query] : [])];
}

export function echoAdmin(kube: Kube, namespace: string, pod: string, action: EchoAdminAction, query = ''): Promise<unknown> {
  return kube.run(echoAdminArgs(namespace, pod, action, query), { context: `${action} ${pod}`, timeoutMs: 30_000 });
}

/** Waits until the pods are Ready again (their readiness probe passes, so their endpoints are back). */
export function awaitPodsReady(kube: Kube, namespace: string, pods: readonly string[], timeoutS = 180): Promise<unknown> {
  if (pods.length === 0) return Promise.resolve();
  return kube.run(['-n', namespace, 'wait', '--for=condition=Ready', ...pods.map((p) => `pod/${p}`), '--timeout', `${timeoutS}s`], { context: `wait for ${pods.join(', ')} to be Ready`, timeoutMs: timeoutS * 1000 + 10_000 });
}

/** The echo's `/state` (load counters, gray-fault arrivals), or null when it does not answer. */
export async function echoState(kube: Kube, namespace: string, pod: string): Promise<unknown> {
  const { stdout } = await kube.run(echoAdminArgs(namespace, pod, 'state'), { context: `read the state of ${pod}`, timeoutMs: 30_000 }).catch(() => ({ stdout: '' }));
  try {
    return JSON.parse(stdout) as unknown;
  } catch {
    return null;
  }
}
