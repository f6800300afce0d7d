import { join } from 'node:path';
import { controlPlaneLine, liveLines, phaseLabel } from '../report/live-line.js';
import type { ProbeRecord } from '../probes/record.js';
import type { RequestRecord } from '../traffic/record.js';
import { RecordTail } from '../traffic/live-tail.js';
import { colourEnabled, painter } from './colour.js';

// What a person watching the run sees. On a TTY: stage lines plus a live block
// per client rewritten in place each second. Without a TTY (CI): plain
// timestamped lines, the live figures every three seconds, covering all three
// (nothing read in between is dropped). Each live block names the phase and
// how far into it the run is, and stops when traffic stops.

const stamp = () => new Date().toISOString().slice(11, 23);

const PHASES = ['baseline', 'fault', 'recovery'] as const;
/** Stages after which there is no live traffic to show. */
const QUIET = new Set(['stop-traffic', 'teardown', 'collect-failed']);

export class RunConsole {
  private liveHeight = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private readonly tty = Boolean(process.stdout.isTTY) && process.env.CI !== 'true';
  readonly paint = painter(colourEnabled());
  private phase: { name: string; startedAt: number; durationMs: number } | undefined;
  private phasesMs: Record<string, number> = {};
  private quiet = false;
  private pending: RequestRecord[] = [];
  private pendingProbes: ProbeRecord[] = [];

  log = (line: string): void => {
    this.clearLive();
    process.stdout.write(`[${stamp()}] ${line}\n`);
  };

  /** The runner's stage marks: phases start the progress label; stopping traffic ends the live lines. */
  stage = (event: string): void => {
    if ((PHASES as readonly string[]).includes(event)) this.phase = { name: event, startedAt: Date.now(), durationMs: this.phasesMs[event] ?? 0 };
    if (QUIET.has(event)) this.quiet = true;
  };

  private clearLive(): void {
    if (this.tty && this.liveHeight > 0) process.stdout.write(`\x1b[${this.liveHeight}A\x1b[J`);
    this.liveHeight = 0;
  }

  /** Starts watching the run's request records. */
  watch(reportDir: string, clients: readonly string[], phasesMs: Record<string, number>): void {
    this.phasesMs = phasesMs;
    const tail = new RecordTail(join(reportDir, 'records'));
    const tickMs = 1000;
    const everyTicks = this.tty ? 1 : 3;
    this.timer = setInterval(() => {
      // Read every tick, print every `everyTicks`: a printed line covers its whole interval.
      // One push per record, never spread: a tick at tens of thousands of requests per second overflows the stack as arguments.
      for (const r of tail.read()) this.pending.push(r);
      for (const p of tail.takeProbes()) this.pendingProbes.push(p);
      this.ticks++;
      if (this.ticks % everyTicks !== 0) return;
      const records = this.pending;
      const probes = this.pendingProbes;
      this.pending = [];
      this.pendingProbes = [];
      if (this.quiet || !this.phase) return;
      const label = phaseLabel(this.phase, Date.now());
      const lines = [...liveLines(records, clients, tickMs * everyTicks), ...[controlPlaneLine(probes)].filter((l): l is string => l !== undefined)].map((l) => `${label} ${l}`);
      if (this.tty) {
        this.clearLive();
        process.stdout.write(`${lines.map((l) => `  ${l}`).join('\n')}\n`);
        this.liveHeight = lines.length;
      } else for (const l of lines) process.stdout.write(`[${stamp()}]   ${l}\n`);
    }, tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.clearLive();
  }
}
