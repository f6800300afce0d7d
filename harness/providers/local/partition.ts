import type { NodePlan } from './address-plan.js';

/**
 * nftables script dropping traffic between two sets of node addresses in both
 * directions. The bridge family's forward hook sees frames between the run's
 * veths on its bridge, without br_netfilter or any iptables interplay. Pure.
 */
export function partitionRules(table: string, sideA: readonly NodePlan[], sideB: readonly NodePlan[]): string {
  const set = (nodes: readonly NodePlan[]) => `{ ${nodes.map((n) => n.ip).join(', ')} }`;
  return [
    `table bridge ${table} {`,
    '  chain forward {',
    '    type filter hook forward priority 0; policy accept;',
    `    ip saddr ${set(sideA)} ip daddr ${set(sideB)} drop`,
    `    ip saddr ${set(sideB)} ip daddr ${set(sideA)} drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}
