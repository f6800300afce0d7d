import { Client, type Dispatcher } from 'undici';
import type { Clock } from '../core/clock.js';
import { isIdentity, type Identity } from '../workloads/identity.js';
import type { ErrorClass, RequestRecord } from './record.js';
import { dueAt } from './schedule.js';
import { SendStats, tooLate } from './send-stats.js';

// One client's open-model request stream over undici connections: request i
// is due at start + i/rate, whatever earlier ones are doing. Every request
// due ends as exactly one record: answered, failed, timed out, or, when the
// driver could not send it on time, 'driver-overload' (the driver's failure,
// never the service's). The driver script wires this to its arguments and
// its records file; the same class runs the warm-up.

export interface SenderOptions {
  client: string;
  target: URL;
  rate: number;
  timeoutMs: number;
  /** Most connections open at once (one request in flight on each). */
  connections: number;
  clock: Clock;
  record: (r: RequestRecord) => void;
  headers?: Record<string, string>;
  /** Spin the schedule loop (see SPIN_MAX_RATE); by default when `rate` is at most SPIN_MAX_RATE. The warm-up sets it to the run's. */
  spin?: boolean;
  /**
   * A new connection for every request, closed after its answer. Without a proxy in front (kind with
   * --mesh none) kube-proxy picks an endpoint per connection: on kept-alive connections every request
   * rides the endpoint its connection landed on (live: 100% to one instance of three), and a fault at
   * another instance is never seen. With one connection per request, the balancing is seen per request.
   */
  connectionPerRequest?: boolean;
}

/**
 * New connections being opened at once, at most: a burst after a stall must
 * not become hundreds of simultaneous connects (measured at 10k req/s: 8 or
 * 64 at once cost more lag than 2; see bench/driver.ts).
 */
const MAX_CONNECTING = 2;

/**
 * A connect still pending after this long stops counting toward
 * MAX_CONNECTING: it hangs (a dead endpoint that drops SYNs, as kube-proxy
 * hands out until the node is declared dead) and costs no CPU while it does.
 * Counted, two such connects held every later request waiting until it was
 * past its bound and recorded as the driver's overload (live on kind without
 * a mesh: 211 of 1770 requests), blaming the driver for the service's hang.
 */
export const CONNECT_HANG_MS = 25;

/**
 * Past the first freeOpens(rate) connections, at most one new one per
 * OPEN_EVERY_MS. A connection costs more CPU than a request (connect, a
 * socket, a parser: about 0.3 ms here against tens of µs), so an overload
 * that opens one for every request waiting spends its time opening them and
 * does not recover: measured at 17.5k req/s, a run that started overloaded
 * had 240 connections after a second and stayed at the lag bound. Paced, the
 * answers catch up and the connections already open carry the rate. The
 * free ones cover what a stall of 10 ms leaves due at once (a connection per
 * 100 req/s), the size of this VM's own pauses and of a first request's
 * latency at the start: with a connection per 250 req/s, the steady lag p99
 * at 12.5-15k req/s was 9 ms against 4-5 here.
 */
export const freeOpens = (rate: number): number => Math.max(16, Math.ceil(rate / 100));
export const OPEN_EVERY_MS = 1;

/**
 * Up to this rate the schedule loop spins (setImmediate); above it, timers and
 * answers drive it (see tick). A loop that sleeps between 1 ms timers is woken
 * late now and then on this VM, and each late wake-up shows as lag: at 10k
 * req/s, sleeping gave lag p99 of 3.5-25 ms over the run (1.4-3.8 ms after the
 * first second), spinning 0.65-1.45 ms (0.4-0.85), in four runs each (two
 * pairs turn about). Near the driver's ceiling spinning costs more than it saves: its
 * empty polls take CPU from the requests (at 20k, 2.5-3.9 ms sleeping against
 * 28-48 ms spinning; at 12.5-17.5k either could win). The cost of spinning is
 * a whole core for the driver from about 500 req/s up, where the interval is
 * below the 2 ms a timer can keep.
 */
export const SPIN_MAX_RATE = Number(process.env.FH_SPIN_MAX ?? 10_000);
/** Whether a stream at `rate` spins its schedule loop (see SPIN_MAX_RATE). */
export const spinsAt = (rate: number): boolean => rate <= SPIN_MAX_RATE;

/** The driver's own figures are also given without its first second, when connections are still being opened. */
export const STEADY_AFTER_MS = 1000;

function classify(error: Error & { code?: string }): ErrorClass {
  const code = error.code ?? '';
  if (code === 'ECONNREFUSED') return 'connection-refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return 'connection-reset';
  if (error.name === 'TimeoutError' || code === 'ETIMEDOUT' || code.endsWith('_TIMEOUT')) return 'timeout';
  return 'other';
}

// A body seen once is parsed once: instances answer the same identity every time.
const bodies = new Map<string, Identity | null>();
function identityOf(body: string): Identity | null {
  let who = bodies.get(body);
  if (who === undefined) {
    try {
      const parsed: unknown = JSON.parse(body);
      who = isIdentity(parsed) ? parsed : null;
    } catch {
      who = null;
    }
    if (bodies.size > 1024) bodies.clear();
    bodies.set(body, who);
  }
  return who;
}

interface Connection {
  client: Client;
  /** Counted toward MAX_CONNECTING (a connect begun less than CONNECT_HANG_MS ago, not yet settled). */
  opening: boolean;
  /** Its connect succeeded once. */
  connected: boolean;
  /** Retired (its connect outlived a request's timeout, or its one request is done with --connection-per-request): destroyed, never reused. */
  dropped: boolean;
}

/** One request on one connection; settled once, by its answer, its error or the sweep's timeout. */
class Exchange implements Dispatcher.DispatchHandler {
  settled = false;
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  private body = '';
  private released = false;

  constructor(
    private readonly sender: Sender,
    readonly sentAt: number,
    private readonly conn: Connection,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.body += chunk.toString('utf8');
  }

  onResponseEnd(): void {
    const who = identityOf(this.body);
    // An error an instance answered itself (a gray failure) says who; one from the sidecar does not.
    if (this.status !== 200) this.finish(this.status, 'http-status', who);
    else this.finish(200, who ? null : 'bad-response', who);
    this.release();
  }

  onResponseError(_c: Dispatcher.DispatchController, error: Error): void {
    this.finish(0, classify(error), null);
    // Not from inside undici's error handling: a failed connect errors every request queued on the
    // connection in one loop, then asserts the queue is empty; handing the connection a waiting request
    // here grew that queue and undici's assert killed the driver (live on kind, without a mesh).
    queueMicrotask(() => this.release());
  }

  /** The sweep found it older than the timeout. */
  timeOut(now: number): void {
    if (this.settled) return;
    this.record(now, 0, 'timeout', null);
    const e = new Error('request timeout');
    e.name = 'TimeoutError';
    this.controller?.abort(e);
    // A connect still hanging at the timeout is given up: kept, it would hold a connection of the budget
    // until undici's own connect timer fired (up to a second late), and the requests due meanwhile would
    // find none free and be recorded as the driver's overload.
    if (!this.conn.connected) this.sender.dropConnection(this.conn);
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.sender.connectionFree(this.conn);
  }

  private finish(status: number, error: ErrorClass | null, who: Identity | null): void {
    if (!this.settled) this.record(this.sender.clock.now(), status, error, who);
  }

  private record(now: number, status: number, error: ErrorClass | null, who: Identity | null): void {
    this.settled = true;
    this.sender.settle({
      client: this.sender.client,
      sentAt: this.sentAt,
      latencyMs: now - this.sentAt,
      status,
      error,
      instance: who?.instance ?? null,
      cluster: who?.cluster ?? null,
      region: who?.region ?? null,
      zone: who?.zone ?? null,
      subzone: who?.subzone ?? null,
    });
  }
}

export class Sender {
  readonly client: string;
  readonly clock: Clock;
  readonly stats = new SendStats();
  /** Connections opened so far (each kept until the end, but those dropped because their connect hung). */
  get connectionsOpened(): number {
    return this.opened;
  }
  private opened = 0;
  /** Requests due so far, and records made so far: equal once everything has settled. */
  scheduled = 0;
  recorded = 0;
  private readonly origin: string;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private readonly connectOptions: Client.Options;
  private readonly idle: Connection[] = [];
  private readonly all: Client[] = [];
  private opening = 0;
  private growing = false;
  private nextOpenAt = 0;
  private readonly freeOpens: number;
  private waiting: number[] = [];
  private waitingHead = 0;
  private pending: (Exchange | undefined)[] = [];
  private pendingHead = 0;
  private start = 0;
  private running = false;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private stopped: (() => void) | undefined;
  private maxDurationMs = Infinity;
  private readonly spin: boolean;

  constructor(private readonly o: SenderOptions) {
    this.client = o.client;
    this.clock = o.clock;
    this.origin = o.target.origin;
    this.path = `${o.target.pathname}${o.target.search}`;
    this.headers = o.headers ?? {};
    this.spin = o.spin ?? spinsAt(o.rate);
    this.freeOpens = freeOpens(o.rate);
    this.connectOptions = {
      pipelining: 1,
      connectTimeout: o.timeoutMs,
      // Off: the sweep times requests out at timeoutMs. undici's own timeouts would add two timers per
      // request that live until its timer wheel's next tick (up to a second), long enough to be promoted.
      headersTimeout: 0,
      bodyTimeout: 0,
      // Idle connections are kept: a quiet spell must not cost a reconnect burst.
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
    };
  }

  /** Starts the schedule at `startMs`; resolves once `maxDurationMs` has passed or stop() was called, and every request has settled. */
  run(startMs: number, maxDurationMs: number): Promise<void> {
    this.start = startMs;
    this.maxDurationMs = maxDurationMs;
    this.running = true;
    this.stats.steadyFrom = startMs + STEADY_AFTER_MS;
    this.sweeper = setInterval(() => this.sweep(), 10);
    const done = new Promise<void>((resolve) => (this.stopped = resolve));
    this.timer = setTimeout(this.tick, Math.max(0, startMs - this.clock.now()));
    return done;
  }

  /** Stops scheduling, records what still waits for a connection as not sent, and lets in-flight requests settle (each bounded by the timeout). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
    }
    while (this.waitingHead < this.waiting.length) this.notSent(this.waiting[this.waitingHead++]!);
    const deadline = this.clock.now() + this.o.timeoutMs + 500;
    while (this.recorded < this.scheduled && this.clock.now() < deadline) await this.clock.sleep(10);
    clearInterval(this.sweeper);
    await Promise.all(this.all.map((c) => c.destroy().catch(() => undefined)));
    this.stopped?.();
  }

  /** @internal a request settled */
  settle(r: RequestRecord): void {
    this.recorded++;
    this.o.record(r);
  }

  /** @internal a connection is free again: the oldest waiting request still in time takes it. */
  connectionFree(conn: Connection): void {
    if (conn.dropped) return;
    if (this.o.connectionPerRequest) return this.dropConnection(conn);
    const now = this.clock.now();
    const due = this.takeWaiting(now);
    if (due !== undefined) return this.dispatch(conn, due);
    if (this.waitingHead > 1024) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
    this.idle.push(conn);
    // Each answer is also a moment to send what has fallen due: at high rates answers come far more often than timers.
    if (this.running && this.spin === false) this.sendDue(now);
  }

  /** Sends every request due by `now`; returns when the next one is due. */
  private sendDue(now: number): number {
    let due = dueAt(this.start, this.scheduled, this.o.rate);
    while (due <= now) {
      this.scheduled++;
      this.send(due, now);
      due = dueAt(this.start, this.scheduled, this.o.rate);
    }
    return due;
  }

  // One function for every turn: a spinning loop turns hundreds of thousands of times a second, and a new
  // closure each time was a third of the garbage behind a young collection every 50 ms at 2k req/s (each
  // a send gap; every 70-80 ms without it).
  private readonly tick = (): void => {
    if (!this.running) return;
    const now = this.clock.now();
    if (now - this.start >= this.maxDurationMs) return void this.stop();
    const wait = this.sendDue(now) - this.clock.now();
    if (wait >= 2) this.timer = setTimeout(this.tick, wait - 1);
    // Below 2 ms a timer (1 ms granularity, often late) cannot hold the schedule alone.
    // Up to SPIN_MAX_RATE the loop yields with setImmediate (a busy core, gaps under an interval);
    // above it, a 1 ms timer plus every answer (sendDue in connectionFree) keep it, leaving the core to the requests.
    else this.timer = this.spin ? setImmediate(this.tick) : setTimeout(this.tick, 1);
  };

  private send(due: number, now: number): void {
    // After a stall, what is already past the bound is not sent late in a burst: it is the driver's overload.
    if (tooLate(due, now, this.o.rate)) return this.notSent(due);
    // Idle connections are reused last-in first-out, so a steady rate runs on a small hot set.
    const conn = this.idle.pop();
    if (conn) return this.dispatch(conn, due);
    while (this.waitingHead < this.waiting.length && tooLate(this.waiting[this.waitingHead]!, now, this.o.rate)) this.notSent(this.waiting[this.waitingHead++]!);
    this.waiting.push(due);
    // No new connection yet: after a stall the answers that free connections are already here, unread until
    // the loop's I/O phase. Opening one now for each request due would open dozens that are not needed (each
    // costing more than a request), and their cost would prolong the very stall. What still waits once the
    // answers have been read (the check phase, right after I/O) gets new connections.
    this.growSoon();
  }

  private growSoon(): void {
    if (this.growing || this.waitingHead >= this.waiting.length) return;
    this.growing = true;
    setImmediate(this.grow);
  }

  /** Check phase: requests still waiting after the answers were read get new connections, paced (freeOpens). */
  private readonly grow = (): void => {
    this.growing = false;
    if (!this.running) return;
    const now = this.clock.now();
    while (this.all.length < this.o.connections && this.opening < MAX_CONNECTING) {
      // Paced: the next request due (at most an interval or a 1 ms tick away) looks again.
      if (this.all.length >= this.freeOpens && now < this.nextOpenAt) return;
      const due = this.takeWaiting(now);
      if (due === undefined) return;
      this.nextOpenAt = now + OPEN_EVERY_MS;
      this.dispatch(this.open(), due);
    }
  };

  /** The oldest waiting request still in time; those before it, past the bound, are recorded as not sent. */
  private takeWaiting(now: number): number | undefined {
    while (this.waitingHead < this.waiting.length) {
      const due = this.waiting[this.waitingHead++]!;
      if (!tooLate(due, now, this.o.rate)) return due;
      this.notSent(due);
    }
    return undefined;
  }

  /** @internal a connection retired (connect hung past a request's timeout, or one request each): destroyed, its place in the budget freed. */
  dropConnection(conn: Connection): void {
    if (conn.dropped) return;
    conn.dropped = true;
    if (conn.opening) {
      conn.opening = false;
      this.opening--;
    }
    const i = this.all.indexOf(conn.client);
    if (i >= 0) this.all.splice(i, 1);
    const j = this.idle.indexOf(conn);
    if (j >= 0) this.idle.splice(j, 1);
    conn.client.destroy().catch(() => undefined);
    this.growSoon();
  }

  private open(): Connection {
    const conn: Connection = { client: new Client(this.origin, this.connectOptions), opening: true, connected: false, dropped: false };
    this.all.push(conn.client);
    this.opened++;
    this.opening++;
    const free = () => {
      if (!conn.opening) return;
      conn.opening = false;
      this.opening--;
      // A slot to open another is free: requests still waiting need not wait for the next tick to get one
      // (at the start, when every request waits, that held the ramp to about one connection per ms).
      this.growSoon();
    };
    // A connect that hangs frees its slot (CONNECT_HANG_MS); its request still waits for it, up to the timeout.
    const hung = setTimeout(free, CONNECT_HANG_MS);
    const settled = () => {
      clearTimeout(hung);
      free();
    };
    conn.client.once('connect', () => {
      conn.connected = true;
      settled();
    });
    conn.client.once('connectionError', settled);
    return conn;
  }

  private dispatch(conn: Connection, due: number): void {
    const sentAt = this.clock.now();
    this.stats.sentOne(due, sentAt);
    const x = new Exchange(this, sentAt, conn);
    this.pending.push(x);
    conn.client.dispatch({ origin: this.origin, path: this.path, method: 'GET', headers: this.headers }, x);
  }

  private notSent(due: number): void {
    this.stats.notSentOne();
    this.settle({ client: this.client, sentAt: due, latencyMs: 0, status: 0, error: 'driver-overload', instance: null, cluster: null, region: null, zone: null, subzone: null });
  }

  /** Requests in the order they were sent: the oldest unsettled one is the next to time out. */
  private sweep(): void {
    const now = this.clock.now();
    while (this.pendingHead < this.pending.length) {
      const x = this.pending[this.pendingHead]!;
      if (!x.settled && now - x.sentAt < this.o.timeoutMs) break;
      x.timeOut(now);
      // Let it go now: an exchange held until the next compaction (hundreds of ms at high rates) outlives
      // a young-generation collection with its undici request, and promoting them made every pause longer.
      this.pending[this.pendingHead++] = undefined;
    }
    if (this.pendingHead > 4096 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
  }
}
