import { createHash } from 'node:crypto';
import { CoreV1Api, KubeConfig, Observable, type ConfigurationOptions, type ObservableMiddleware, type V1ConfigMap } from '@kubernetes/client-node';
import type { MemberStatus, OpResult, ProbeClient } from './probe-client.js';

// The control-plane probe's view of a Kubernetes cluster: writes and reads of
// ConfigMaps through the API server (kind's load balancer in front of every
// kube-apiserver when the control plane is HA), the way any client of the
// cluster sees it. Each probe key is one ConfigMap; a linearizable read is a
// GET (a quorum read from etcd), a serializable one a LIST with
// resourceVersion=0, which the API server may answer from its watch cache
// while etcd has no quorum. Member status comes from elsewhere (etcd metrics).

export const PROBE_NAMESPACE = 'failover-harness-probe';
export const LABEL_RUN = 'failover-harness.io/run';
export const LABEL_PREFIX = 'failover-harness.io/probe-prefix';

export interface ApiServerProbeOptions {
  kubeConfig: KubeConfig;
  runId: string;
  namespace?: string;
  /** Name the records give the endpoint that answered. */
  endpoint: string;
  status: (member: string, timeoutMs: number) => Promise<MemberStatus>;
}

/** A ConfigMap name (DNS-1123 subdomain) for a probe key. */
export function configMapName(key: string): string {
  const name = key
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return name.length <= 253 ? name : `${name.slice(0, 236)}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** A label value (≤ 63 characters) standing for a key prefix. */
export function prefixLabel(prefix: string): string {
  return createHash('sha256').update(prefix).digest('hex').slice(0, 32);
}

/** The probe key's prefix: everything up to the last '/'. */
function prefixOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/** HTTP status of a client-node error, when it has one. */
function statusCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export function classifyApiError(error: unknown): string {
  const code = statusCode(error);
  const text = error instanceof Error ? `${error.name} ${error.message} ${String((error as { body?: unknown }).body ?? '')}` : String(error);
  if (/abort/i.test(text) || code === 504 || /timed out|timeout|deadline/i.test(text)) return 'timeout';
  if (/leader/i.test(text)) return 'no-leader';
  if (code === 429) return 'throttled';
  if (code === 503 || /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|socket hang up|unavailable/i.test(text)) return 'unavailable';
  if (code !== undefined) return `http-${code}`;
  return text.slice(0, 80);
}

export class ApiServerProbeClient implements ProbeClient {
  private readonly api: CoreV1Api;
  private readonly namespace: string;

  constructor(private readonly o: ApiServerProbeOptions) {
    this.api = o.kubeConfig.makeApiClient(CoreV1Api);
    this.namespace = o.namespace ?? PROBE_NAMESPACE;
  }

  /** Per-request deadline: client-node 1.x passes a request's AbortSignal on to fetch. */
  private deadline(ms: number): ConfigurationOptions {
    const timeout: ObservableMiddleware = {
      pre: (context) => {
        context.setSignal(AbortSignal.timeout(ms));
        return new Observable(Promise.resolve(context));
      },
      post: (response) => new Observable(Promise.resolve(response)),
    };
    return { middleware: [timeout], middlewareMergeStrategy: 'append' };
  }

  /** Attempts `op` until it succeeds or the budget is spent; each attempt has its own deadline. */
  private async attempt(budgetMs: number, attemptMs: number, op: (options: ConfigurationOptions) => Promise<string | null | void>): Promise<OpResult> {
    const end = Date.now() + budgetMs;
    let last: OpResult = { ok: false, member: this.o.endpoint, error: 'not tried' };
    while (Date.now() < end) {
      try {
        const value = await op(this.deadline(Math.max(1, Math.min(attemptMs, end - Date.now()))));
        return { ok: true, member: this.o.endpoint, error: null, value: value ?? null };
      } catch (error) {
        last = { ok: false, member: this.o.endpoint, error: classifyApiError(error) };
        // A fast failure (refused, throttled, an HTTP error) is retried after a pause, not in a tight loop.
        if (last.error !== 'timeout') await new Promise((r) => setTimeout(r, Math.min(100, Math.max(0, end - Date.now()))));
      }
    }
    return last;
  }

  write(key: string, value: string, budgetMs: number, attemptMs: number): Promise<OpResult> {
    const body: V1ConfigMap = {
      metadata: { name: configMapName(key), labels: { [LABEL_RUN]: this.o.runId, [LABEL_PREFIX]: prefixLabel(prefixOf(key)) } },
      data: { key, value },
    };
    let tried = false;
    return this.attempt(budgetMs, attemptMs, async (options) => {
      try {
        await this.api.createNamespacedConfigMap({ namespace: this.namespace, body }, options);
      } catch (error) {
        // A retry after an attempt that timed out on our side but was stored: the write is there.
        if (!(tried && statusCode(error) === 409)) throw error;
      } finally {
        tried = true;
      }
    });
  }

  read(key: string, serializable: boolean, budgetMs: number, attemptMs: number): Promise<OpResult> {
    const name = configMapName(key);
    return this.attempt(budgetMs, attemptMs, async (options) => {
      if (serializable) {
        const list = await this.api.listNamespacedConfigMap({ namespace: this.namespace, fieldSelector: `metadata.name=${name}`, resourceVersion: '0' }, options);
        return list.items[0]?.data?.value ?? null;
      }
      try {
        return (await this.api.readNamespacedConfigMap({ name, namespace: this.namespace }, options)).data?.value ?? null;
      } catch (error) {
        // Not found is an answer (the store is up; the key is not there).
        if (statusCode(error) === 404) return null;
        throw error;
      }
    });
  }

  status(member: string, timeoutMs: number): Promise<MemberStatus> {
    return this.o.status(member, timeoutMs);
  }

  async readPrefix(prefix: string, budgetMs: number): Promise<Map<string, string> | null> {
    let found: Map<string, string> | null = null;
    const result = await this.attempt(budgetMs, budgetMs, async (options) => {
      const list = await this.api.listNamespacedConfigMap({ namespace: this.namespace, labelSelector: `${LABEL_RUN}=${this.o.runId},${LABEL_PREFIX}=${prefixLabel(prefix)}` }, options);
      found = new Map(list.items.filter((c) => c.data?.key?.startsWith(prefix)).map((c) => [c.data!.key!, c.data!.value ?? '']));
    });
    return result.ok ? found : null;
  }
}
