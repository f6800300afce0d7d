import { existsSync, closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The ledger: before a resource is created or a fault takes effect, an entry
// saying how to undo it is appended and fsynced; a release entry follows the
// undo. A crashed run leaves its file behind for `npm run cleanup`.
// Lives under /run (tmpfs) when root: a reboot clears it together with the
// namespaces and processes it describes.

export type Resource =
  /** Every process started with FAILOVER_HARNESS_RUN=<runId> in its environment. */
  | { kind: 'processes'; runId: string }
  | { kind: 'netns'; name: string }
  | { kind: 'link'; name: string }
  | { kind: 'iptables'; table: string; chain: string; rule: string[] }
  | { kind: 'file'; path: string }
  | { kind: 'frozen'; pid: number; startTicks: number | undefined; label: string }
  | { kind: 'link-down'; netns: string; device: string }
  | { kind: 'drained'; adminUrl: string; label: string }
  | { kind: 'killed'; label: string }
  /** An nftables table of the run (partitions); undone by deleting it. */
  | { kind: 'nft-table'; family: string; name: string }
  /** kind provider: a cluster this run created (not recorded with --keep). */
  | { kind: 'kind-cluster'; name: string }
  /** kind provider: a node container stopped, paused or disconnected from a network. */
  | { kind: 'docker-node'; action: 'stop' | 'pause' | 'disconnect'; container: string; network?: string; ip?: string; dockerHost?: string }
  /** kind provider: a partition chain inside a node container. */
  | { kind: 'kind-partition'; container: string; dockerHost?: string }
  /** kind provider: etcd SIGKILLed and its static-pod manifest parked out of a control-plane node (undone by moving it back). */
  | { kind: 'etcd-kept-down'; container: string; dockerHost?: string }
  /** Ledgers of runs before etcd-kept-down: a parked static-pod manifest. */
  | { kind: 'etcd-manifest-moved'; container: string; dockerHost?: string }
  /** kind provider: an echo pod told to drain, fail or slow down through its admin endpoint (restored through it). */
  | { kind: 'pod-drained'; context: string; namespace: string; pod: string }
  /** kind provider: the control-plane probe's ConfigMaps of one run (deleted by label). */
  | { kind: 'k8s-configmaps'; context: string; namespace: string; selector: string };

export type LedgerEntry =
  /** `reportDir`: where the run writes its report, so a cleanup after a crash can mark it crashed. */
  | { op: 'run'; runId: string; pid: number; startTicks: number | undefined; experiment: string; at: number; reportDir?: string }
  | { op: 'acquire'; id: number; resource: Resource; at: number }
  | { op: 'release'; id: number; kind: Resource['kind']; at: number };

export const RUN_MARKER_ENV = 'FAILOVER_HARNESS_RUN';

export function stateDir(): string {
  if (process.env.FAILOVER_HARNESS_STATE_DIR) return process.env.FAILOVER_HARNESS_STATE_DIR;
  if (process.getuid?.() === 0) return '/run/failover-harness';
  return join(process.env.XDG_RUNTIME_DIR ?? tmpdir(), `failover-harness-${process.getuid?.() ?? 'user'}`);
}

export class Ledger {
  readonly path: string;
  private nextId = 1;
  private readonly kinds = new Map<number, Resource['kind']>();

  constructor(readonly dir: string, readonly runId: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${runId}.jsonl`);
  }

  private append(entry: LedgerEntry): void {
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    crashHook(entry);
  }

  begin(experiment: string, pid: number, startTicks: number | undefined, at: number, reportDir?: string): void {
    this.append({ op: 'run', runId: this.runId, pid, startTicks, experiment, at, ...(reportDir ? { reportDir } : {}) });
  }

  acquire(resource: Resource, at: number): number {
    const id = this.nextId++;
    this.kinds.set(id, resource.kind);
    this.append({ op: 'acquire', id, resource, at });
    return id;
  }

  release(id: number, at: number): void {
    this.append({ op: 'release', id, kind: this.kinds.get(id) ?? 'processes', at });
  }

  /** Removes the file once nothing is outstanding (a ledger that recorded nothing has no file). */
  close(): void {
    if (!existsSync(this.path)) return;
    const state = readLedger(this.path);
    if (state.outstanding.length === 0) rmSync(this.path, { force: true });
  }
}

export interface LedgerState {
  path: string;
  runId: string;
  pid: number | undefined;
  startTicks: number | undefined;
  experiment: string | undefined;
  /** When the run began (epoch ms), and where it wrote its report. */
  startedAt: number | undefined;
  reportDir: string | undefined;
  /** Acquired and not released, oldest first. */
  outstanding: { id: number; resource: Resource }[];
}

export function readLedger(path: string): LedgerState {
  const acquired = new Map<number, Resource>();
  let run: Extract<LedgerEntry, { op: 'run' }> | undefined;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let entry: LedgerEntry;
    try {
      entry = JSON.parse(line) as LedgerEntry;
    } catch {
      continue; // a torn last line from a crash mid-write
    }
    if (entry.op === 'run') run = entry;
    else if (entry.op === 'acquire') acquired.set(entry.id, entry.resource);
    else acquired.delete(entry.id);
  }
  const runId = run?.runId ?? path.replace(/^.*\//, '').replace(/\.jsonl$/, '');
  return {
    path,
    runId,
    pid: run?.pid,
    startTicks: run?.startTicks,
    experiment: run?.experiment,
    startedAt: run?.at,
    reportDir: run?.reportDir,
    outstanding: [...acquired].map(([id, resource]) => ({ id, resource })),
  };
}

export function listLedgers(dir = stateDir()): LedgerState[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
  } catch {
    return [];
  }
  return names.map((n) => readLedger(join(dir, n)));
}

/**
 * Test hook for the crash test: FAILOVER_HARNESS_CRASH_AFTER="acquire:frozen"
 * makes the harness SIGKILL itself right after that ledger entry is on disk,
 * the worst moment for a fault to be left behind.
 */
function crashHook(entry: LedgerEntry): void {
  const spec = process.env.FAILOVER_HARNESS_CRASH_AFTER;
  if (!spec || entry.op === 'run') return;
  const kind = entry.op === 'acquire' ? entry.resource.kind : entry.kind;
  if (spec === `${entry.op}:${kind}` || spec === `${entry.op}:any`) process.kill(process.pid, 'SIGKILL');
}
