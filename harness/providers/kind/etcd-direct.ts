import { Agent, request } from 'undici';

// One etcd member reached from the host over its client URL. kubeadm's stacked
// etcd listens on https://<node address>:2379 besides the node's loopback and
// serves /metrics and the v3 JSON gateway there, with client certificates.
// The probe used to run `docker exec <node> curl …` for each serializable read
// and metrics scrape: about fifteen runc execs a second on three members, a
// load the probe itself put on the nodes it measures (live on a two-core
// machine the API servers failed 42–50% of writes before any fault then; not
// isolated from the cluster settling). A request from the host costs a socket
// write.

export interface EtcdTls {
  ca: string;
  cert: string;
  key: string;
}

export interface EtcdAccess {
  /** The member's client URL, reachable from this host. */
  url: string;
  /** kubeadm's healthcheck client certificate and the etcd CA; null for a plain-HTTP member (tests). */
  tls: EtcdTls | null;
}

/** Why a call to a member failed, in the probe's words. */
export function classifyEtcdError(error: unknown): 'timeout' | 'unavailable' | 'error' {
  const text = error instanceof Error ? `${error.name} ${error.message} ${String((error as { code?: unknown }).code ?? '')}` : String(error);
  if (/timeout|timed out|abort/i.test(text)) return 'timeout';
  if (/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ECONNRESET|socket|closed|other side/i.test(text)) return 'unavailable';
  return 'error';
}

export class EtcdDirect {
  private readonly agent: Agent;

  constructor(readonly access: EtcdAccess) {
    // One agent per member: a frozen member's hung sockets never hold another member's requests.
    this.agent = new Agent({ connect: { timeout: 1000, ...(access.tls ?? {}) }, keepAliveTimeout: 4000 });
  }

  private async call(path: string, timeoutMs: number, body?: string): Promise<string> {
    const signal = AbortSignal.timeout(timeoutMs);
    const res = await request(`${this.access.url}${path}`, {
      dispatcher: this.agent,
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
      signal,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`etcd ${path} answered ${res.statusCode}: ${text.slice(0, 120)}`);
    return text;
  }

  /** The member's Prometheus metrics text. */
  metrics(timeoutMs: number): Promise<string> {
    return this.call('/metrics', timeoutMs);
  }

  /** etcd's Range for one key over the v3 JSON gateway; serializable answers from this member alone. */
  range(key: string, serializable: boolean, timeoutMs: number): Promise<string> {
    return this.call('/v3/kv/range', timeoutMs, JSON.stringify({ key: Buffer.from(key).toString('base64'), serializable }));
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
