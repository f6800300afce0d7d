import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Claims a free /24 of 198.18.0.0/16 for a run's bridge with an exclusive lock
 * file, so concurrent runs never share a subnet. `inUse` lists third octets
 * already on an interface. Returns the octet and the lock file path.
 */
export function claimSubnet(lockDir: string, runId: string, inUse: ReadonlySet<number>, random = Math.random): { subnet: number; lockFile: string } {
  mkdirSync(lockDir, { recursive: true });
  const offset = Math.floor(random() * 254);
  for (let i = 0; i < 254; i++) {
    const subnet = 1 + ((offset + i) % 254);
    if (inUse.has(subnet)) continue;
    const lockFile = join(lockDir, `subnet-${subnet}.lock`);
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, runId);
      closeSync(fd);
      return { subnet, lockFile };
    } catch {
      // claimed by another run
    }
  }
  throw new Error('no free /24 left in 198.18.0.0/16');
}

/** Third octets of 198.18.x.y addresses in `ip -j -4 addr` output. */
export function subnetsInUse(ipJson: string): Set<number> {
  const used = new Set<number>();
  const links = JSON.parse(ipJson) as { addr_info?: { local?: string }[] }[];
  for (const link of links) {
    for (const a of link.addr_info ?? []) {
      const m = /^198\.18\.(\d+)\./.exec(a.local ?? '');
      if (m) used.add(Number(m[1]));
    }
  }
  return used;
}

/**
 * Runs whose subnet locks must stay: the live ones, and dead ones that left
 * resources behind (their bridge and namespaces may still hold the subnet
 * until `npm run cleanup` removes them; a run refused for those leftovers
 * must not hand their subnet to the next run).
 */
export function lockOwnersToKeep<L extends { runId: string; outstanding: readonly unknown[] }>(ledgers: readonly L[], isLive: (l: L) => boolean): Set<string> {
  return new Set(ledgers.filter((l) => isLive(l) || l.outstanding.length > 0).map((l) => l.runId));
}

/** Removes subnet locks whose run is not live (a run killed between claiming and recording its lock). */
export function removeStaleLocks(lockDir: string, liveRunIds: ReadonlySet<string>): string[] {
  let names: string[];
  try {
    names = readdirSync(lockDir).filter((n) => n.endsWith('.lock'));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const path = join(lockDir, name);
    let owner = '';
    try {
      owner = readFileSync(path, 'utf8').trim();
    } catch {
      continue;
    }
    if (!liveRunIds.has(owner)) {
      rmSync(path, { force: true });
      removed.push(name);
    }
  }
  return removed;
}
