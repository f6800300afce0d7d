import type { Kube } from './kube.js';
import { ADMIN_PORT } from './manifests.js';

// Faults through the echo server's own admin endpoint, from inside its pod
// (the admin listener is on the pod's loopback). The same calls the local
// provider makes over HTTP: a drain closes the listener and every open
// connection, so the pod's sidecar sees refused connections and answers 503,
// which the client's outlier detection ejects. (Draining Envoy's listeners
// instead leaves pooled connections serving: kind-live-review.md #3.)

export type EchoAdminAction = 'drain' | 'restore' | 'fail' | 'slow';

export const ECHO_CONTAINER = 'echo';

const METHODS = { drain: 'POST', restore: 'POST', state: 'GET', fail: 'POST', slow: 'POST' } as const;

/**
 * The command run inside the echo container for one admin call: plain `node
 * -e` with a fetch to the admin port (about 50 ms; through tsx it was a second
 * per call, which skewed inject and revert times). Prints the answer and
 * exits 0 only when the echo confirmed.
 */
export function echoAdminCommand(action: EchoAdminAction | 'state', query = '', port = ADMIN_PORT): string[] {
  const url = `http://127.0.0.1:${port}/${action}${query ? `?${new URLSearchParams(query).toString()}` : ''}`;
  const script = `fetch(${JSON.stringify(url)},{method:${JSON.stringify(METHODS[action])},signal:AbortSignal.timeout(5000)}).then(async(r)=>{process.stdout.write(await r.text());process.exit(r.ok?0:1)},(e)=>{console.error(${JSON.stringify(`echo admin ${action} failed: `)}+e);process.exit(1)})`;
  return ['node', '-e', script];
}

/** kubectl exec argv of one admin call in one echo pod. */
export function echoAdminArgs(namespace: string, pod: string, action: EchoAdminAction | 'state', query = ''): string[] {
  return ['-n', namespace, 'exec', pod, '-c', ECHO_CONTAINER, '--', ...echoAdminCommand(action, query)];
}

export function echoAdmin(kube: Kube, namespace: string, pod: string, action: EchoAdminAction, query = ''): Promise<unknown> {
  return kube.run(echoAdminArgs(namespace, pod, action, query), { context: `${action} ${pod}`, timeoutMs: 30_000 });
}

/** Waits until the pods are Ready again (their readiness probe passes, so their endpoints are back). */
export function awaitPodsReady(kube: Kube, namespace: string, pods: readonly string[], timeoutS = 180): Promise<unknown> {
  if (pods.length === 0) return Promise.resolve();
  return kube.run(['-n', namespace, 'wait', '--for=condition=Ready', ...pods.map((p) => `pod/${p}`), '--timeout', `${timeoutS}s`], { context: `wait for ${pods.join(', ')} to be Ready`, timeoutMs: timeoutS * 1000 + 10_000 });
}

/** The echo's `/state` (load counters, gray-fault arrivals); an echo that does not answer, or answers garbage, is an error (never "0 shed"). */
export async function echoState(kube: Kube, namespace: string, pod: string): Promise<unknown> {
  const { stdout } = await kube.run(echoAdminArgs(namespace, pod, 'state'), { context: `read the state of ${pod}`, timeoutMs: 30_000 });
  try {
    return JSON.parse(stdout) as unknown;
  } catch {
    throw new Error(`the state of ${pod} is not JSON: ${stdout.slice(0, 200)}`);
  }
}
