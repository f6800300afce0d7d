import { join } from 'node:path';
import { liveLines } from '../report/live-line.js';
import { RecordTail } from '../traffic/live-tail.js';

// What a person watching the run sees. On a TTY: stage lines plus a live block
// per client rewritten in place each second. Without a TTY (CI): plain
// timestamped lines, the live figures every few seconds.

const stamp = () => new Date().toISOString().slice(11, 23);

export class RunConsole {
  private liveHeight = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private readonly tty = Boolean(process.stdout.isTTY) && process.env.CI !== 'true';

  log = (line: string): void => {
    this.clearLive();
    process.stdout.write(`[${stamp()}] ${line}\n`);
  };

  private clearLive(): void {
    if (this.tty && this.liveHeight > 0) process.stdout.write(`\x1b[${this.liveHeight}A\x1b[J`);
    this.liveHeight = 0;
  }

  /** Starts watching the run's request records. */
  watch(reportDir: string, clients: readonly string[]): void {
    const tail = new RecordTail(join(reportDir, 'records'));
    const intervalMs = 1000;
    this.timer = setInterval(() => {
      const lines = liveLines(tail.read(), clients, intervalMs);
      this.ticks++;
      if (this.tty) {
        this.clearLive();
        process.stdout.write(`${lines.map((l) => `  ${l}`).join('\n')}\n`);
        this.liveHeight = lines.length;
      } else if (this.ticks % 3 === 0) {
        for (const l of lines) process.stdout.write(`[${stamp()}]   ${l}\n`);
      }
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.clearLive();
  }
}
