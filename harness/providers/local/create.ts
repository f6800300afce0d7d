import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import { EnvironmentError } from '../../core/errors.js';
import type { Experiment } from '../../core/experiment.js';
import { which, type Executor } from '../../exec/index.js';
import { Ledger, stateDir } from '../../faults/ledger.js';
import { ResourceScope } from '../../faults/scope.js';
import { planNetns, planProcess, type Isolation } from './address-plan.js';
import { freePorts } from './free-ports.js';
import { LocalProvider } from './provider.js';
import { inboundSidecarInstances } from './inbound-sidecars.js';
import { claimSubnet, subnetsInUse } from './subnet-lock.js';
import { undoAny } from '../undo.js';

/** netns needs root (CAP_NET_ADMIN) and iproute2; without them, loopback ports. */
export function defaultIsolation(): { isolation: Isolation; reason: string } {
  if (process.getuid?.() !== 0) return { isolation: 'process', reason: 'not root: using process isolation (loopback ports; network faults unavailable)' };
  return { isolation: 'netns', reason: 'root: using network namespaces' };
}

export function isolationAvailable(isolation: Isolation): void {
  if (isolation === 'netns' && process.getuid?.() !== 0) {
    throw new EnvironmentError('--isolation netns needs root (network namespaces need CAP_NET_ADMIN)', 'run as root, or use --isolation process');
  }
}

export interface CreateLocalOptions {
  experiment: Experiment;
  isolation: Isolation;
  runId: string;
  reportDir: string;
  exec: Executor;
  clock: Clock;
  signal: AbortSignal;
  log: (line: string) => void;
  ledger: Ledger;
  /** The sidecars' Envoy (prerequisites.ts). */
  envoy: string;
}

export async function createLocalProvider(o: CreateLocalOptions): Promise<LocalProvider> {
  const scope = new ResourceScope(o.ledger, undoAny(o.exec), o.clock);
  let plan;
  if (o.isolation === 'netns') {
    if (!which('ip')) throw new EnvironmentError('`ip` (iproute2) is needed for netns isolation', 'apt-get install -y iproute2');
    const { stdout } = await o.exec.run(['ip', '-j', '-4', 'addr'], { context: 'list addresses' });
    // The subnet lock is a ledger resource too, so cleanup frees it.
    const claim = claimSubnet(join(stateDir(), 'locks'), o.runId, subnetsInUse(stdout));
    await scope.acquire({ kind: 'file', path: claim.lockFile }, async () => undefined);
    plan = planNetns(o.experiment.topology, o.runId, claim.subnet, inboundSidecarInstances(o.experiment));
  } else {
    const t = o.experiment.topology;
    const inbound = inboundSidecarInstances(o.experiment);
    const ports = await freePorts(t.instances.length * 2 + inbound.size * 2 + t.clients.length * 2 + t.members.length * 2);
    plan = planProcess(t, () => ports.shift()!, inbound);
  }
  return new LocalProvider({ experiment: o.experiment, plan, runId: o.runId, exec: o.exec, clock: o.clock, scope, reportDir: o.reportDir, log: o.log, signal: o.signal, envoy: o.envoy });
}

export { Ledger };
