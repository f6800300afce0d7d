import { createWriteStream, type WriteStream } from 'node:fs';
import type { Clock } from '../core/clock.js';
import type { ProbeClient } from './probe-client.js';
import type { ControlPlaneRecord, ProbeRecord, StatusRecord } from './record.js';

// Probes beside client traffic: a write of a unique key, a linearizable and a
// serializable read of the last acknowledged key, every interval; and a status
// round asking each member who leads. Open model: a stalled call does not
// delay the next one. Every acknowledged write is kept for the lost-write check.

export interface ProbeOptions {
  runId: string;
  intervalMs: number;
  /** Total budget of one probe operation (across members). */
  timeoutMs: number;
  /** Budget of one attempt on one member. */
  attemptMs: number;
  members: readonly string[];
  file: string;
  /** Ask members for their status every Nth tick (default every tick). */
  statusEveryTicks?: number;
  /**
   * Several probe streams, one per endpoint (kind: one per API server, each
   * wired to its own etcd member), each with its own writes and reads;
   * records carry the endpoint. Without it, one stream through `client`.
   */
  streams?: readonly { endpoint: string; client: ProbeClient }[];
}

export class ControlPlaneProbe {
  readonly acknowledged = new Map<string, string>();
  private readonly probes: ProbeRecord[] = [];
  private readonly statuses: StatusRecord[] = [];
  private readonly out: WriteStream;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private round = 0;
  private readonly lastAcked = new Map<string | undefined, string>();
  private running = false;

  constructor(
    private readonly client: ProbeClient,
    private readonly clock: Clock,
    private readonly o: ProbeOptions,
  ) {
    this.out = createWriteStream(o.file, { flags: 'a' });
  }

  get prefix(): string {
    return `/failover-harness/${this.o.runId}/`;
  }

  private record(r: ControlPlaneRecord): void {
    if (r.probe === 'status') this.statuses.push(r);
    else this.probes.push(r);
    this.out.write(`${JSON.stringify(r)}\n`);
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private tick(): void {
    const { timeoutMs, attemptMs } = this.o;
    const seq = this.seq++;
    const sentAt = this.clock.now();
    for (const { endpoint, client } of this.o.streams ?? [{ endpoint: undefined, client: this.client }]) {
      const tag = endpoint === undefined ? {} : { endpoint };
      const key = `${this.prefix}${endpoint === undefined ? '' : `${endpoint}-`}${String(seq).padStart(8, '0')}`;
      const value = `v${seq}`;
      this.track(
        client.write(key, value, timeoutMs, attemptMs).then((r) => {
          if (r.ok) {
            this.acknowledged.set(key, value);
            this.lastAcked.set(endpoint, key);
          }
          this.record({ probe: 'write', sentAt, latencyMs: this.clock.now() - sentAt, ok: r.ok, error: r.error, member: r.member, key, ...tag });
        }),
      );
      const readKey = this.lastAcked.get(endpoint) ?? key;
      for (const serializable of [false, true]) {
        this.track(
          client.read(readKey, serializable, timeoutMs, attemptMs).then((r) => {
            this.record({ probe: serializable ? 'read-serializable' : 'read-linearizable', sentAt, latencyMs: this.clock.now() - sentAt, ok: r.ok, error: r.error, member: r.member, key: readKey, ...tag });
          }),
        );
      }
    }
    if (seq % (this.o.statusEveryTicks ?? 1) !== 0) return;
    const round = this.round++;
    for (const member of this.o.members) {
      this.track(
        this.client.status(member, attemptMs).then(
          (s) => this.record({ probe: 'status', sentAt, round, member, ok: true, leader: s.leader, term: s.term }),
          () => this.record({ probe: 'status', sentAt, round, member, ok: false, leader: null, term: null }),
        ),
      );
    }
  }

  start(startAt: number): void {
    this.running = true;
    const loop = () => {
      if (!this.running) return;
      this.tick();
      const next = startAt + this.seq * this.o.intervalMs;
      this.timer = setTimeout(loop, Math.max(0, next - this.clock.now()));
    };
    this.timer = setTimeout(loop, Math.max(0, startAt - this.clock.now()));
  }

  async stop(): Promise<{ probes: ProbeRecord[]; statuses: StatusRecord[] }> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight]);
    await new Promise<void>((resolve) => this.out.end(resolve));
    return { probes: this.probes, statuses: this.statuses };
  }

  /** Reads back every acknowledged write; a key missing or with another value is a loss. */
  async verify(budgetMs: number): Promise<{ acknowledged: number; lost: string[] } | null> {
    const deadline = this.clock.now() + budgetMs;
    // Any stream's client may answer: on kind some API servers may still be coming back.
    const clients = [this.client, ...(this.o.streams ?? []).map((s) => s.client)];
    for (let i = 0; this.clock.now() < deadline; i++) {
      const stored = await clients[i % clients.length]!.readPrefix(this.prefix, 2000);
      if (stored) {
        const lost = [...this.acknowledged].filter(([key, value]) => stored.get(key) !== value).map(([key]) => key);
        return { acknowledged: this.acknowledged.size, lost };
      }
      await this.clock.sleep(200);
    }
    return null;
  }
}
