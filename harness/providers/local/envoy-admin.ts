// Envoy's admin API as the harness reads it: /clusters?format=json (per-host
// counters and health flags) and /stats?format=json (cluster and listener
// counters). Parsing is pure; the two fetches are the only side effects.
// Proto3 JSON leaves zero values out: an absent counter is 0.

export interface HostView {
  /** "host:port" as in the EDS file. */
  address: string;
  /** Flagged by outlier detection (health_flags /failed_outlier_check). */
  ejected: boolean;
  priority: number;
  rqTotal: number;
  rqSuccess: number;
  rqError: number;
  rqTimeout: number;
  cxConnectFail: number;
}

interface ClustersJson {
  cluster_statuses?: {
    name: string;
    host_statuses?: {
      address?: { socket_address?: { address?: string; port_value?: number } };
      stats?: { name: string; value?: string | number }[];
      health_status?: { failed_outlier_check?: boolean };
      priority?: number;
    }[];
  }[];
}

/** The hosts of one cluster from /clusters?format=json. */
export function parseClusters(json: unknown, cluster: string): HostView[] {
  const c = (json as ClustersJson).cluster_statuses?.find((s) => s.name === cluster);
  return (c?.host_statuses ?? []).map((h) => {
    const stat = (name: string) => Number(h.stats?.find((s) => s.name === name)?.value ?? 0);
    const sa = h.address?.socket_address;
    return {
      address: `${sa?.address ?? '?'}:${sa?.port_value ?? 0}`,
      ejected: h.health_status?.failed_outlier_check === true,
      priority: h.priority ?? 0,
      rqTotal: stat('rq_total'),
      rqSuccess: stat('rq_success'),
      rqError: stat('rq_error'),
      rqTimeout: stat('rq_timeout'),
      cxConnectFail: stat('cx_connect_fail'),
    };
  });
}

/** Counters and gauges from /stats?format=json, by full name. */
export function parseStats(json: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of (json as { stats?: { name?: string; value?: number }[] }).stats ?? []) {
    if (s.name !== undefined && typeof s.value === 'number') out[s.name] = s.value;
  }
  return out;
}

const get = async (url: string, timeoutMs: number): Promise<unknown> => {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.json();
};

export const fetchClusters = (admin: string, timeoutMs = 1000) => get(`${admin}/clusters?format=json`, timeoutMs);
export const fetchStats = (admin: string, timeoutMs = 2000) => get(`${admin}/stats?format=json`, timeoutMs);
