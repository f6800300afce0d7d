import type { Locality } from '../core/locality.js';

/** What a service instance answers when asked who it is. */
export interface Identity extends Locality {
  instance: string;
  node: string;
}

export function isIdentity(value: unknown): value is Identity {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return ['instance', 'node', 'cluster', 'region', 'zone', 'subzone'].every((k) => typeof v[k] === 'string');
}

/** What an instance answers: its name, its node and its locality. */
export function instanceIdentity(plan: { instance: string; node: string; locality: Locality }): Identity {
  return { instance: plan.instance, node: plan.node, ...plan.locality };
}
