import { createRequire } from 'node:module';
import type { Etcd3 } from 'etcd3';

// etcd3 (gRPC, protobufjs) is loaded when the first client is made, not when
// the CLI starts: runs without a control plane never pay for it.
const load = createRequire(import.meta.url);
const etcd3 = () => load('etcd3') as typeof import('etcd3');
const cockatiel = () => load('cockatiel') as typeof import('cockatiel');
import type { MemberStatus, OpResult, ProbeClient } from './probe-client.js';

// A probe's view of etcd: one client per member with the library's own retries
// and circuit breakers turned off, so an answer (or its absence) is the
// member's, and every call has a deadline. Failover between members is ours
// and explicit: try the member that answered last, then the others.

export interface MemberEndpoint {
  name: string;
  url: string;
}


function classify(error: unknown): string {
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  if (/deadline|timed out|timeout/i.test(text)) return 'timeout';
  if (/no leader/i.test(text)) return 'no-leader';
  if (/unavailable|ECONNREFUSED|connect|No connection/i.test(text)) return 'unavailable';
  return text.slice(0, 80);
}

export class EtcdProbeClient implements ProbeClient {
  private readonly clients: Map<string, Etcd3>;
  private preferred = 0;
  private idToName = new Map<string, string>();

  constructor(private readonly members: readonly MemberEndpoint[]) {
    this.clients = new Map(
      members.map((m) => {
        const { noop } = cockatiel();
        return [m.name, new (etcd3().Etcd3)({ hosts: m.url, dialTimeout: 500, faultHandling: { host: () => noop, global: noop } })];
      }),
    );
  }

  private client(name: string): Etcd3 {
    return this.clients.get(name)!;
  }

  /** Learns member ids (status reports the leader by id). */
  async learnMembers(timeoutMs: number): Promise<void> {
    for (const m of this.members) {
      try {
        const list = await this.client(m.name).cluster.memberList({}, { deadline: Date.now() + timeoutMs });
        this.idToName = new Map(list.members.map((x) => [x.ID, x.name]));
        return;
      } catch {
        // try the next member
      }
    }
    throw new Error('no etcd member answered memberList');
  }

  /** Runs `op` on members in order of preference until one succeeds or the budget is spent. */
  private async failover(budgetMs: number, attemptMs: number, op: (c: Etcd3, deadline: Date) => Promise<string | null | void>): Promise<OpResult> {
    const end = Date.now() + budgetMs;
    let last: OpResult = { ok: false, member: null, error: 'no member tried' };
    for (let i = 0; i < this.members.length && Date.now() < end; i++) {
      const index = (this.preferred + i) % this.members.length;
      const member = this.members[index]!.name;
      const deadline = new Date(Math.min(end, Date.now() + attemptMs));
      try {
        const value = await op(this.client(member), deadline);
        this.preferred = index;
        return { ok: true, member, error: null, value: value ?? null };
      } catch (error) {
        last = { ok: false, member, error: classify(error) };
      }
    }
    return last;
  }

  write(key: string, value: string, budgetMs: number, attemptMs: number): Promise<OpResult> {
    return this.failover(budgetMs, attemptMs, async (c, deadline) => {
      await c.put(key).value(value).options({ deadline });
    });
  }

  read(key: string, serializable: boolean, budgetMs: number, attemptMs: number): Promise<OpResult> {
    return this.failover(budgetMs, attemptMs, (c, deadline) => c.get(key).serializable(serializable).options({ deadline }).string());
  }

  async status(member: string, timeoutMs: number): Promise<MemberStatus> {
    const s = await this.client(member).maintenance.status({ deadline: Date.now() + timeoutMs });
    return { leader: this.idToName.get(s.leader) ?? (s.leader === '0' ? null : s.leader), term: Number(s.raftTerm) };
  }

  /** Every key under `prefix` with its value, by linearizable read through any member. */
  async readPrefix(prefix: string, budgetMs: number): Promise<Map<string, string> | null> {
    let found: Map<string, string> | null = null;
    const result = await this.failover(budgetMs, budgetMs, async (c, deadline) => {
      const all = await c.getAll().prefix(prefix).options({ deadline }).strings();
      found = new Map(Object.entries(all));
    });
    return result.ok ? found : null;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}
