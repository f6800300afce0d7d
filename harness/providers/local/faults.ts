import { UsageError } from '../../core/errors.js';
import { chooseMembers, describeFault, faultSelector, type FaultSpec, type OutageMode } from '../../core/fault-spec.js';
import { matchesSelector, nodesInZone } from '../../core/experiment.js';
import { processStartTicks } from '../../exec/index.js';
import type { InjectedFault } from '../provider.js';
import type { LocalProviderOptions, LocalProvider } from './provider.js';
import { partitionRules } from './partition.js';
import { describeGray, grayCall, isGray, mergeArrivals } from '../../workloads/gray.js';
import type { EndpointEffect } from './endpoint-model.js';

// Local fault implementations. Each target's undo is in the ledger before the
// fault acts; revert undoes them all and is idempotent.

/** One target's undo; `back` waits until what the undo restarted serves (beside the timeline). */
type Step = { release: () => Promise<void>; back?: () => Promise<void> };

/** Numbers a run's partition tables (a module counter: one harness process runs one experiment). */
let partitionCount = 0;

async function killInstance(p: LocalProvider, name: string, o: LocalProviderOptions): Promise<Step> {
  const { id } = await o.scope.acquire({ kind: 'killed', label: name }, async () => {
    const { child } = p.instance(name);
    child.signal('SIGKILL');
    await child.exited;
  });
  return {
    // The revert is issued when the process is started again; serving is waited for apart (awaitRecovered),
    // so a timeline's next step keeps its time while a restart is slow.
    release: async () => {
      p.spawnInstance(p.instance(name).plan);
      await o.scope.release(id);
    },
    back: () => p.instanceServing(name),
  };
}

async function freezeInstance(p: LocalProvider, name: string, o: LocalProviderOptions): Promise<Step> {
  const { child } = p.instance(name);
  const { id } = await o.scope.acquire({ kind: 'frozen', pid: child.pid, startTicks: processStartTicks(child.pid), label: name }, async () => {
    child.signal('SIGSTOP');
  });
  return { release: () => o.scope.release(id) };
}

/**
 * A drain or a gray failure through the echo's admin endpoint (`POST /<action>?<query>`);
 * its undo (/restore, which undoes either) is in the ledger first.
 */
async function adminFault(p: LocalProvider, name: string, o: LocalProviderOptions, action: string, query = ''): Promise<Step> {
  const { plan } = p.instance(name);
  const adminUrl = `http://${plan.host}:${plan.adminPort}`;
  const { id } = await o.scope.acquire({ kind: 'drained', adminUrl, label: name }, async () => {
    const res = await fetch(`${adminUrl}/${action}${query ? `?${query}` : ''}`, { method: 'POST', signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`${action} of ${name} answered ${res.status}: ${await res.text()}`);
  });
  return { release: () => o.scope.release(id) };
}

/** Drains an instance's server-side Envoy (`drain_listeners?inboundonly`); the revert restarts it, as a pod restart would. */
async function drainSidecar(p: LocalProvider, name: string, o: LocalProviderOptions): Promise<Step> {
  const { id } = await o.scope.acquire({ kind: 'killed', label: `server-side sidecar of ${name} drained` }, () => p.drainInboundSidecar(name));
  return {
    release: async () => {
      await p.restartInboundSidecar(name);
      await o.scope.release(id);
    },
  };
}

async function isolateNode(p: LocalProvider, nodeName: string, o: LocalProviderOptions): Promise<Step> {
  const node = p.node(nodeName);
  const netns = node.netns!;
  const { id } = await o.scope.acquire({ kind: 'link-down', netns, device: 'eth0' }, () =>
    o.exec.run(['ip', '-n', netns, 'link', 'set', 'dev', 'eth0', 'down'], { context: `isolate node ${nodeName}` }),
  );
  return { release: () => o.scope.release(id) };
}

async function killMember(p: LocalProvider, name: string, o: LocalProviderOptions): Promise<Step> {
  const etcd = p.etcd!;
  const { id } = await o.scope.acquire({ kind: 'killed', label: `etcd ${name}` }, async () => {
    const child = etcd.child(name);
    child.signal('SIGKILL');
    await child.exited;
  });
  return {
    release: async () => {
      await etcd.restart(name);
      await o.scope.release(id);
    },
  };
}

async function freezeMember(p: LocalProvider, name: string, o: LocalProviderOptions): Promise<Step> {
  const child = p.etcd!.child(name);
  const { id } = await o.scope.acquire({ kind: 'frozen', pid: child.pid, startTicks: processStartTicks(child.pid), label: `etcd ${name}` }, async () => {
    child.signal('SIGSTOP');
  });
  return { release: () => o.scope.release(id) };
}

function outage(mode: OutageMode, p: LocalProvider, instances: string[], members: string[], o: LocalProviderOptions): { affected: string[]; steps: Promise<Step>[] } {
  if (mode === 'isolate') {
    if (o.plan.isolation !== 'netns') {
      throw new UsageError('mode "isolate" takes links down and needs --isolation netns (run as root)', 'use --mode kill or --mode freeze with --isolation process');
    }
    // Only nodes that run instances or members go dark: a client node stands for the zone's ingress, which survives.
    const memberNodes = o.plan.members.filter((m) => members.includes(m.name)).map((m) => m.node);
    const nodes = [...new Set([...instances.map((i) => p.instance(i).plan.node), ...memberNodes])];
    return { affected: [...nodes, ...members], steps: nodes.map((n) => isolateNode(p, n, o)) };
  }
  const [onInstance, onMember] = mode === 'kill' ? [killInstance, killMember] : [freezeInstance, freezeMember];
  return { affected: [...instances, ...members], steps: [...instances.map((i) => onInstance(p, i, o)), ...members.map((m) => onMember(p, m, o))] };
}

/** What each fault does to its instances' endpoints, as Kubernetes sees it. */
function endpointEffect(spec: FaultSpec): EndpointEffect {
  switch (spec.kind) {
    case 'kill-instance':
      return 'container-exited';
    case 'freeze-instance':
      return 'container-frozen';
    case 'zone-outage':
    case 'region-outage':
      // Killed, frozen or cut off, the zone's nodes stop reporting: a lost node.
      return 'node-lost';
    default:
      // A drain, a gray failure, a partition between zones, an etcd member: endpoints unchanged.
      return 'none';
  }
}

export async function injectLocalFault(spec: FaultSpec, p: LocalProvider, o: LocalProviderOptions): Promise<InjectedFault> {
  const selector = faultSelector(spec);
  const instances = spec.kind === 'etcd-member-loss' ? [] : o.experiment.topology.instances.filter((i) => matchesSelector(i, selector)).map((i) => i.name);
  const members = o.experiment.topology.members.filter((m) => matchesSelector(m, selector)).map((m) => m.name);
  let plan: { affected: string[]; steps: Promise<Step>[] };
  let mode: string | undefined;
  let leader: string | null = null;
  switch (spec.kind) {
    case 'drain-listeners':
      mode = spec.mode;
      plan = { affected: instances, steps: instances.map((i) => (spec.mode === 'sidecar' ? drainSidecar(p, i, o) : adminFault(p, i, o, 'drain'))) };
      break;
    case 'kill-instance':
      plan = { affected: instances, steps: instances.map((i) => killInstance(p, i, o)) };
      break;
    case 'http-error':
    case 'latency':
      mode = describeGray(spec);
      const { action, query } = grayCall(spec);
      plan = { affected: instances, steps: instances.map((i) => adminFault(p, i, o, action, query)) };
      break;
    case 'freeze-instance':
      plan = { affected: instances, steps: instances.map((i) => freezeInstance(p, i, o)) };
      break;
    case 'zone-outage':
    case 'region-outage':
      mode = spec.mode;
      plan = outage(spec.mode, p, instances, members, o);
      break;
    case 'partition': {
      if (o.plan.isolation !== 'netns') {
        throw new UsageError('a partition drops packets between namespaces and needs --isolation netns (run as root)');
      }
      const side = (zone: string) => nodesInZone(o.plan.nodes, zone, spec.region);
      const [a, b] = [side(spec.between[0]), side(spec.between[1])];
      // One table per injection: two partitions in at once must not share (a revert deletes its table whole).
      const table = `fh_${o.runId}_partition_${partitionCount++}`;
      plan = {
        affected: [...a, ...b].map((n) => n.name),
        steps: [
          o.scope.acquire({ kind: 'nft-table', family: 'bridge', name: table }, () => o.exec.run(['nft', '-f', '-'], { input: partitionRules(table, a, b), context: `partition ${spec.between.join(' | ')}` })).then(({ id }) => ({ release: () => o.scope.release(id) })),
        ],
      };
      break;
    }
    case 'etcd-member-loss': {
      mode = spec.mode;
      let chosen: string[];
      ({ members: chosen, leader } = await chooseMembers(spec, p.etcd!.names, () => p.etcd!.leader()));
      const act = spec.mode === 'kill' ? killMember : freezeMember;
      plan = { affected: chosen, steps: chosen.map((m) => act(p, m, o)) };
      break;
    }
  }
  // Act on every target at once: an outage takes a zone down together, not one by one.
  const settled = await Promise.allSettled(plan.steps);
  const steps = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  let reverted = false;
  let revert = async () => {
    if (reverted) return;
    reverted = true;
    const results = await Promise.allSettled(steps.map((s) => s.release()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  };
  const failure = settled.find((s) => s.status === 'rejected');
  if (failure) {
    await revert().catch(() => undefined);
    throw (failure as PromiseRejectedResult).reason;
  }
  // The modelled control plane: what Kubernetes would do to these instances' endpoints (endpoint-model.ts).
  const effect = endpointEffect(spec);
  p.endpointsFaulted(instances, effect);
  const observe = isGray(spec) ? async () => mergeArrivals(await Promise.all(plan.affected.map((name) => p.echoState(name)))) : undefined;
  const backs = steps.flatMap((s) => (s.back ? [s.back] : []));
  const serving = () => {
    for (const i of instances) p.endpointServing(i);
  };
  const awaitRecovered = backs.length
    ? async () => {
        await Promise.all(backs.map((b) => b()));
        serving();
      }
    : undefined;
  const revertFault = revert;
  // Without a restart to wait for (a thaw, a link up), the instances serve again once the revert is done.
  if (!awaitRecovered) revert = async () => (await revertFault(), serving());
  return { target: describeFault(spec), ...(mode ? { mode } : {}), affected: plan.affected, ...(leader ? { leader } : {}), revert, ...(observe ? { observe } : {}), ...(awaitRecovered ? { awaitRecovered } : {}) };
}
