import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { FaultSpec } from '../core/fault-spec.js';
import type { FaultRecord } from '../core/journal.js';
import type { Injection } from '../core/timeline.js';
import type { InjectedFault, Provider } from '../providers/provider.js';

// The faults of a run while it lasts: each injection of the timeline is
// injected and reverted by its own step, and whatever is still in at the end
// (a Ctrl-C, an error) is reverted last-in first-out. Each injection is one
// FaultRecord. Waiting until a revert is back (a kind node Ready) runs beside
// the timeline, so a rolling outage keeps its schedule.

/** An injection that starts later than this behind its plan is marked on the timeline. */
const LATE_MS = 50;

export class FaultsInFlight {
  readonly records: FaultRecord[] = [];
  private readonly live = new Map<number, { fault: InjectedFault; record: FaultRecord }>();
  private readonly backs: Promise<void>[] = [];

  constructor(
    private readonly provider: Provider,
    private readonly clock: Clock,
    private readonly signal: AbortSignal,
    private readonly mark: (event: string, detail?: string) => void,
    /** The first error of a revert or a wait, kept as the run's failure. */
    private readonly fail: (error: unknown) => void,
  ) {}

  async inject(id: number, injection: Injection, spec: FaultSpec, phaseStart: number): Promise<void> {
    const injectStartedAtMs = this.clock.now();
    const fault = await this.provider.inject(spec);
    const record: FaultRecord = {
      kind: spec.kind,
      target: fault.target,
      ...(fault.mode ? { mode: fault.mode } : {}),
      affected: fault.affected,
      ...(fault.leader ? { leaderAtInjection: fault.leader } : {}),
      fault: injection.fault,
      repetition: injection.repetition,
      plannedAtMs: phaseStart + injection.at,
      plannedUntilMs: phaseStart + injection.until,
      injectStartedAtMs,
      injectedAtMs: this.clock.now(),
      revertStartedAtMs: null,
      revertedAtMs: null,
    };
    // Lateness against the plan, reported for every injection (a slow inject or a busy machine shifts what follows).
    record.lateMs = Math.max(0, injectStartedAtMs - record.plannedAtMs!);
    this.records.push(record);
    this.live.set(id, { fault, record });
    if (record.lateMs > LATE_MS) this.mark('late', `injection ${id} started ${Math.round(record.lateMs)} ms behind its plan`);
    this.mark('injected', `${spec.kind} ${fault.target}${fault.mode ? ` (${fault.mode})` : ''}${injection.repetition ? ` #${injection.repetition + 1}` : ''}: ${fault.affected.join(', ')}`);
  }

  /** Reverts one injection (if it is in): stamps when the revert was issued, then waits for it to be back beside the timeline. */
  async revert(id: number): Promise<void> {
    const entry = this.live.get(id);
    if (!entry) return;
    this.live.delete(id);
    const { fault, record } = entry;
    // What only the faulted instances know (a gray fault's last arrivals), before the revert clears it.
    // Unread, the ejection falls back to the records alone: said on the timeline, not hidden.
    if (fault.observe) {
      record.lastRequestAtMs = await fault.observe().catch((error: unknown) => {
        this.mark('observe-failed', `the faulted instances' arrivals could not be read (${errorMessage(error)}): ejection from the records alone`);
        return {};
      });
    }
    record.revertStartedAtMs = this.clock.now();
    try {
      await fault.revert();
      record.revertedAtMs = this.clock.now();
      this.mark('reverted', `${record.kind} ${record.target}`);
    } catch (error) {
      this.fail(error);
      this.mark('revert-failed', `${record.kind} ${record.target}: ${errorMessage(error)}`);
      return;
    }
    this.backs.push(this.awaitBack(fault, record));
  }

  /** Where coming back takes longer than the revert (a kind node boots, pods pass readiness); a Ctrl-C does not wait. */
  private async awaitBack(fault: InjectedFault, record: FaultRecord): Promise<void> {
    try {
      if (fault.awaitRecovered && !this.signal.aborted) {
        await fault.awaitRecovered();
        this.mark('ready', `${record.kind} ${record.target}`);
      }
      record.revertReadyAtMs = this.clock.now();
    } catch (error) {
      this.fail(error);
      record.revertReadyAtMs = null;
      this.mark('not-ready', `${record.kind} ${record.target}: ${errorMessage(error)}`);
    }
  }

  /** Reverts everything still in, newest first. */
  async revertAll(): Promise<void> {
    for (const id of [...this.live.keys()].reverse()) await this.revert(id);
  }

  /** Waits until every revert is back; a Ctrl-C stops waiting (waits already started included). */
  async settled(): Promise<void> {
    if (this.signal.aborted) return;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = () => resolve();
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([Promise.all(this.backs), aborted]);
    } finally {
      this.signal.removeEventListener('abort', onAbort!);
    }
  }
}
