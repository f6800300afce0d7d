import { readdirSync, readFileSync } from 'node:fs';
import { processStat } from '../../exec/executor.js';

/** Pids of live processes whose environment carries NAME=VALUE (how a run marks its children). */
export function pidsWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (env.includes(needle)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/**
 * Whether `pid` is still the process recorded (same start time) and alive. A
 * zombie (killed, not yet reaped: its parent is stopped or is no init) is
 * dead: it holds nothing and will never release what it made.
 */
export function isSameProcess(pid: number, startTicks: number | undefined): boolean {
  const stat = processStat(pid);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return false;
  return startTicks === undefined || stat.startTicks === startTicks;
}

export function signalIfAlive(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Whether the harness process that owns a ledger is still running. */
export function isLive(ledger: { pid: number | undefined; startTicks: number | undefined }): boolean {
  return ledger.pid !== undefined && isSameProcess(ledger.pid, ledger.startTicks);
}
