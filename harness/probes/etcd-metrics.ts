import type { MemberStatus } from './probe-client.js';

// An etcd member's own view of leadership, read from its Prometheus metrics
// (kubeadm's stacked etcd serves them on http://127.0.0.1:2381/metrics inside
// the control-plane node). Pure: text in, view out.

export interface EtcdMetricsView {
  /** etcd_server_has_leader: the member knows a leader. */
  hasLeader: boolean;
  /** etcd_server_is_leader: the member is the leader. */
  isLeader: boolean;
  /** etcd_server_leader_changes_seen_total, when present. */
  leaderChanges: number | null;
}

/** Value of an unlabelled sample `name value` in Prometheus text format, or undefined. */
function sample(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    // `name 1` or `name{labels} 1`; not `name_suffix 1`.
    if (!/^[\s{]/.test(rest)) continue;
    const value = Number(rest.replace(/^\{[^}]*\}/, '').trim().split(/\s+/)[0]);
    if (Number.isFinite(value)) return value;
  }
  return undefined;
}

export function parseEtcdMetrics(text: string): EtcdMetricsView {
  const hasLeader = sample(text, 'etcd_server_has_leader');
  const isLeader = sample(text, 'etcd_server_is_leader');
  if (hasLeader === undefined || isLeader === undefined) {
    throw new Error('not etcd metrics: etcd_server_has_leader / etcd_server_is_leader missing');
  }
  return { hasLeader: hasLeader === 1, isLeader: isLeader === 1, leaderChanges: sample(text, 'etcd_server_leader_changes_seen_total') ?? null };
}

/**
 * A member's status from its metrics. A member only knows whether it leads,
 * not who else does: followers report no leader name, and the leader per
 * poll round comes from the member that says it leads. Metrics carry no term.
 */
export function statusFromMetrics(member: string, view: EtcdMetricsView): MemberStatus {
  return { leader: view.hasLeader && view.isLeader ? member : null, term: null };
}
