import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Claims a free /24 of 198.18.0.0/16 for a run's bridge with an exclusive lock
 * file, so concurrent runs never share a subnet. `inUse` lists third octets
 * already on an interface. Returns the octet and the lock file path.
 */
export function claimSubnet(lockDir: string, inUse: ReadonlySet<number>, random = Math.random): { subnet: number; lockFile: string } {
  mkdirSync(lockDir, { recursive: true });
  const offset = Math.floor(random() * 254);
  for (let i = 0; i < 254; i++) {
    const subnet = 1 + ((offset + i) % 254);
    if (inUse.has(subnet)) continue;
    const lockFile = join(lockDir, `subnet-${subnet}.lock`);
    try {
      closeSync(openSync(lockFile, 'wx'));
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
