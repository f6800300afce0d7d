import { ERROR_CLASSES, type ErrorClass, type RequestRecord } from './record.js';

// Request records held as columns of typed arrays: 25 bytes a record (sentAt
// f64, latency f64, status u16, error u8, client u16, served-by u32) instead
// of ~340 for an object, so a million-record run fits in ~25 MB. Latency stays
// f64 so figures computed here match scripts/recompute.py's to the last digit. Names are
// interned: a client is an index into `clients`, and who served a request
// (instance, cluster, region, zone, subzone together) an index into `servers`,
// so the strings exist once however many records name them.

const NO_ERROR = 255;
const NOBODY = 0;
const INITIAL = 1024;

type ServedBy = Pick<RequestRecord, 'instance' | 'cluster' | 'region' | 'zone' | 'subzone'>;
const nobody: ServedBy = { instance: null, cluster: null, region: null, zone: null, subzone: null };

/** Bytes each record takes in the columns (excluding spare capacity and the interned names). */
export const BYTES_PER_RECORD = 8 + 8 + 2 + 1 + 2 + 4;

/**
 * A copy of a string that shares no memory with where it came from: V8 may
 * hand out a slice of a whole parsed chunk (megabytes) for a short value, and
 * an interned slice would keep that chunk alive for as long as the columns.
 */
function detach<T extends string | null>(s: T): T {
  return (s === null ? s : Buffer.from(s, 'utf8').toString('utf8')) as T;
}

export class RecordColumns implements Iterable<RequestRecord> {
  private sentAt = new Float64Array(INITIAL);
  private latencyMs = new Float64Array(INITIAL);
  private status = new Uint16Array(INITIAL);
  private error = new Uint8Array(INITIAL);
  private client = new Uint16Array(INITIAL);
  private server = new Uint32Array(INITIAL);
  private readonly clients: string[] = [];
  private readonly clientIndex = new Map<string, number>();
  private readonly servers: ServedBy[] = [nobody];
  private readonly serverIndex = new Map<string, number>();
  length = 0;

  static from(records: Iterable<RequestRecord>): RecordColumns {
    const columns = new RecordColumns();
    for (const r of records) columns.push(r);
    return columns;
  }

  push(r: RequestRecord): void {
    if (this.length === this.sentAt.length) this.resize(this.length * 2);
    const i = this.length++;
    this.sentAt[i] = r.sentAt;
    this.latencyMs[i] = r.latencyMs;
    this.status[i] = r.status;
    this.error[i] = r.error === null ? NO_ERROR : ERROR_CLASSES.indexOf(r.error);
    this.client[i] = this.intern(r.client);
    this.server[i] = this.internServer(r);
  }

  /** Appends every record of `other`. */
  append(other: RecordColumns): void {
    for (const r of other) this.push(r);
  }

  /** A fresh object for record `i`; the interned strings are shared. */
  at(i: number): RequestRecord {
    if (i < 0 || i >= this.length) throw new RangeError(`record ${i} of ${this.length}`);
    const e = this.error[i]!;
    return {
      client: this.clients[this.client[i]!]!,
      sentAt: this.sentAt[i]!,
      latencyMs: this.latencyMs[i]!,
      status: this.status[i]!,
      error: e === NO_ERROR ? null : (ERROR_CLASSES[e] as ErrorClass),
      ...this.servers[this.server[i]!]!,
    };
  }

  sentAtOf(i: number): number {
    return this.sentAt[i]!;
  }

  clientOf(i: number): string {
    return this.clients[this.client[i]!]!;
  }

  *[Symbol.iterator](): Iterator<RequestRecord> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  /** The records of one client in the order they were added, one object at a time (nothing held). */
  *ofClient(name: string): Generator<RequestRecord> {
    const id = this.clientIndex.get(name);
    if (id === undefined) return;
    for (let i = 0; i < this.length; i++) if (this.client[i] === id) yield this.at(i);
  }

  /** The records of one client, sorted by sentAt, as objects (what the analysis reads). */
  clientRecords(name: string): RequestRecord[] {
    const id = this.clientIndex.get(name);
    if (id === undefined) return [];
    const out: RequestRecord[] = [];
    for (let i = 0; i < this.length; i++) if (this.client[i] === id) out.push(this.at(i));
    return out.sort((a, b) => a.sentAt - b.sentAt);
  }

  /** The records of one client, sorted by sentAt, still as columns. */
  clientColumns(name: string): RecordColumns {
    const id = this.clientIndex.get(name);
    const out = new RecordColumns();
    if (id === undefined) return out;
    const order: number[] = [];
    for (let i = 0; i < this.length; i++) if (this.client[i] === id) order.push(i);
    const indices = Uint32Array.from(order);
    const at = this.sentAt;
    // Most files are nearly sorted already (a driver writes in completion order).
    indices.sort((a, b) => at[a]! - at[b]!);
    out.resize(Math.max(INITIAL, indices.length));
    for (const i of indices) out.copyFrom(this, i);
    return out;
  }

  clientNames(): string[] {
    return [...this.clients];
  }

  /** Bytes held by the columns, spare capacity included. */
  byteLength(): number {
    return this.sentAt.length * BYTES_PER_RECORD;
  }

  /** Drops spare capacity (after the last push). */
  trim(): void {
    this.resize(Math.max(1, this.length));
  }

  private copyFrom(other: RecordColumns, i: number): void {
    if (this.length === this.sentAt.length) this.resize(this.length * 2);
    const j = this.length++;
    this.sentAt[j] = other.sentAt[i]!;
    this.latencyMs[j] = other.latencyMs[i]!;
    this.status[j] = other.status[i]!;
    this.error[j] = other.error[i]!;
    this.client[j] = this.intern(other.clients[other.client[i]!]!);
    const s = other.servers[other.server[i]!]!;
    this.server[j] = s === nobody ? NOBODY : this.internServer(s);
  }

  private resize(capacity: number): void {
    const grow = <T extends Float64Array | Uint16Array | Uint8Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a.subarray(0, Math.min(this.length, capacity)) as never);
      return b;
    };
    this.sentAt = grow(this.sentAt, (n) => new Float64Array(n));
    this.latencyMs = grow(this.latencyMs, (n) => new Float64Array(n));
    this.status = grow(this.status, (n) => new Uint16Array(n));
    this.error = grow(this.error, (n) => new Uint8Array(n));
    this.client = grow(this.client, (n) => new Uint16Array(n));
    this.server = grow(this.server, (n) => new Uint32Array(n));
  }

  private intern(name: string): number {
    let id = this.clientIndex.get(name);
    if (id === undefined) {
      id = this.clients.length;
      if (id > 0xffff) throw new RangeError('more than 65,536 client names');
      const own = detach(name);
      this.clients.push(own);
      this.clientIndex.set(own, id);
    }
    return id;
  }

  private internServer(r: ServedBy): number {
    if (r.instance === null && r.cluster === null && r.region === null && r.zone === null && r.subzone === null) return NOBODY;
    // null and the string 'null' must not meet: \u0001 stands for null, \u0000 separates.
    const key = [r.instance, r.cluster, r.region, r.zone, r.subzone].map((v) => v ?? '\u0001').join('\u0000');
    let id = this.serverIndex.get(key);
    if (id === undefined) {
      id = this.servers.length;
      this.servers.push({ instance: detach(r.instance), cluster: detach(r.cluster), region: detach(r.region), zone: detach(r.zone), subzone: detach(r.subzone) });
      this.serverIndex.set(detach(key), id);
    }
    return id;
  }
}
