import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { processStat, realExecutor } from '../../harness/exec/index.js';
import { isLive } from '../../harness/providers/local/proc-scan.js';
import { lockOwnersToKeep, removeStaleLocks } from '../../harness/providers/local/subnet-lock.js';

const childrenOf = (ppid: number) =>
  readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid;
      } catch {
        return false;
      }
    })
    .map(Number);

it('a killed harness that nobody reaped (a zombie) is dead to cleanup; a running one is live', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fh-zombie-'));
  // The shell starts a short child, then execs a sleep that never waits for it: the child stays a zombie until the sleep exits.
  const parent = realExecutor.spawn(['sh', '-c', 'sleep 0.2 & exec sleep 5'], { logFile: join(dir, 'log') });
  try {
    let zombie: number | undefined;
    for (let i = 0; i < 50 && zombie === undefined; i++) {
      await new Promise((r) => setTimeout(r, 50));
      zombie = childrenOf(parent.pid).find((pid) => processStat(pid)?.state === 'Z');
    }
    expect(zombie).toBeDefined();
    expect(isLive({ pid: zombie!, startTicks: undefined })).toBe(false);
    expect(isLive({ pid: parent.pid, startTicks: processStat(parent.pid)!.startTicks })).toBe(true);
    expect(isLive({ pid: parent.pid, startTicks: processStat(parent.pid)!.startTicks + 1 })).toBe(false);
  } finally {
    parent.signal('SIGKILL');
    await parent.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

it('a run refused for a dead run\'s leftovers keeps that run\'s subnet lock; locks of runs that left nothing go', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fh-locks-'));
  try {
    const ledgers = [
      { runId: 'live01', outstanding: [{}] },
      { runId: 'dead01', outstanding: [{ kind: 'bridge' }] },
      { runId: 'dead02', outstanding: [] },
    ];
    for (const [i, l] of ledgers.entries()) writeFileSync(join(dir, `subnet-${i}.lock`), `${l.runId}\n`);
    writeFileSync(join(dir, 'subnet-9.lock'), 'gone99\n');
    const keep = lockOwnersToKeep(ledgers, (l) => l.runId === 'live01');
    expect([...keep].sort()).toEqual(['dead01', 'live01']);
    expect(removeStaleLocks(dir, keep).sort()).toEqual(['subnet-2.lock', 'subnet-9.lock']);
    expect(readdirSync(dir).sort()).toEqual(['subnet-0.lock', 'subnet-1.lock']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
