// What the control-plane probe needs from a store: the local provider talks
// to etcd directly (etcd-client.ts), the kind provider to the Kubernetes API
// server (apiserver-client.ts). Both answer in the same terms, so the probe,
// its records and the analysis are shared.

export interface OpResult {
  ok: boolean;
  /** The member (or endpoint) that answered, or was last tried. */
  member: string | null;
  /** Error class (timeout, unavailable, no-leader, …) when not ok. */
  error: string | null;
  value?: string | null;
}

export interface MemberStatus {
  /** The leader this member reports, or null when it knows of none. */
  leader: string | null;
  /** Raft term when the source reports it. */
  term: number | null;
}

/** Asks every member at once; the first answer that names a leader decides. Null when none does (or none answers). */
export function firstLeader(members: readonly string[], status: (member: string) => Promise<MemberStatus>): Promise<string | null> {
  // All members at once, the first that names a leader wins: asked one after another, a loaded kind cluster
  // (live: 1–3 s per answer) took five of a six-second fault phase to find its leader before the kill.
  return new Promise((resolve) => {
    let pending = members.length;
    if (pending === 0) resolve(null);
    for (const member of members) {
      status(member)
        .then((view) => {
          if (view?.leader) resolve(view.leader);
        })
        .catch(() => undefined)
        .finally(() => {
          if (--pending === 0) resolve(null);
        });
    }
  });
}

export interface ProbeClient {
  write(key: string, value: string, budgetMs: number, attemptMs: number): Promise<OpResult>;
  /** A linearizable read (quorum), or a serializable one (may be stale, may be served without quorum). */
  read(key: string, serializable: boolean, budgetMs: number, attemptMs: number): Promise<OpResult>;
  /** One member's view; rejects when the member does not answer. */
  status(member: string, timeoutMs: number): Promise<MemberStatus>;
  /** Every key under `prefix` with its value (a quorum read), or null if none answered in time. */
  readPrefix(prefix: string, budgetMs: number): Promise<Map<string, string> | null>;
}
