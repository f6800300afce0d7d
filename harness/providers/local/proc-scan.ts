import { readdirSync, readFileSync } from 'node:fs';
import { processStartTicks } from '../../exec/executor.js';

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

export function isSameProcess(pid: number, startTicks: number | undefined): boolean {
  const now = processStartTicks(pid);
  return now !== undefined && (startTicks === undefined || now === startTicks);
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
