import type { Executor } from '../../exec/index.js';
import type { ResourceScope } from '../../faults/scope.js';
import type { AddressPlan, NodePlan } from './address-plan.js';

// netns mode: a bridge per run, a network namespace per node joined by a veth
// pair. Every piece is in the ledger before it exists.

export function netnsPrefix(node: NodePlan): string[] {
  return node.netns ? ['ip', 'netns', 'exec', node.netns] : [];
}

export async function createBridge(plan: AddressPlan, exec: Executor, scope: ResourceScope): Promise<void> {
  const bridge = plan.bridge!;
  await scope.acquire({ kind: 'link', name: bridge.name }, async () => {
    await exec.run(['ip', 'link', 'add', bridge.name, 'type', 'bridge'], { context: 'create bridge' });
    await exec.run(['ip', 'addr', 'add', `${bridge.ip}/24`, 'dev', bridge.name], { context: 'address bridge' });
    await exec.run(['ip', 'link', 'set', bridge.name, 'up'], { context: 'bring bridge up' });
  });
}

/**
 * A running Docker engine sets the FORWARD policy to DROP, which silently drops
 * bridged traffic between our namespaces when br_netfilter is loaded: accept
 * our bridge explicitly while the run lasts.
 */
export async function acceptForwarding(plan: AddressPlan, exec: Executor, scope: ResourceScope): Promise<boolean> {
  const listing = await exec.run(['iptables', '-S', 'FORWARD']).catch(() => undefined);
  if (!listing || !listing.stdout.includes('-P FORWARD DROP')) return false;
  const bridge = plan.bridge!.name;
  const rule = ['-i', bridge, '-o', bridge, '-j', 'ACCEPT', '-m', 'comment', '--comment', `failover-harness ${bridge}`];
  await scope.acquire({ kind: 'iptables', table: 'filter', chain: 'FORWARD', rule }, () =>
    exec.run(['iptables', '-t', 'filter', '-I', 'FORWARD', ...rule], { context: 'accept bridged traffic' }),
  );
  return true;
}

export async function createNode(node: NodePlan, plan: AddressPlan, exec: Executor, scope: ResourceScope): Promise<void> {
  const ns = node.netns!;
  await scope.acquire({ kind: 'netns', name: ns }, () => exec.run(['ip', 'netns', 'add', ns], { context: `create namespace for node ${node.name}` }));
  await scope.acquire({ kind: 'link', name: node.hostVeth! }, async () => {
    const context = `wire node ${node.name}`;
    await exec.run(['ip', 'link', 'add', node.hostVeth!, 'type', 'veth', 'peer', 'name', node.nsVeth!], { context });
    await exec.run(['ip', 'link', 'set', node.nsVeth!, 'netns', ns], { context });
    await exec.run(['ip', '-n', ns, 'link', 'set', node.nsVeth!, 'name', 'eth0'], { context });
    await exec.run(['ip', '-n', ns, 'addr', 'add', `${node.ip}/24`, 'dev', 'eth0'], { context });
    await exec.run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up'], { context });
    await exec.run(['ip', '-n', ns, 'link', 'set', 'lo', 'up'], { context });
    await exec.run(['ip', 'link', 'set', node.hostVeth!, 'master', plan.bridge!.name, 'up'], { context });
  });
}
