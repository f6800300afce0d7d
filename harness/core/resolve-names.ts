import { didYouMean } from './suggest.js';
import type { Topology } from './topology.js';

// Locality names as users write them → the one locality they mean. A name may
// be bare ("zone-a") or qualified ("eu-west-1/zone-a",
// "cn-north-4/cn-north-4b/tianjin", or any trailing part of that). A bare
// name that several regions (or zones) share is ambiguous, and a name that
// matches nothing is an error: never a silent 0. Pure.

export type LocalityDepth = 'region' | 'zone' | 'subzone';

/** Every locality of the topology at one depth, as qualified keys ("region/zone"). */
export function localityKeys(t: Topology, depth: LocalityDepth): string[] {
  const keys = t.nodes.flatMap((n) => {
    const { region, zone, subzone } = n.locality;
    if (depth === 'region') return [region];
    if (depth === 'zone') return [`${region}/${zone}`];
    return subzone ? [`${region}/${zone}/${subzone}`] : [];
  });
  return [...new Set(keys)].sort();
}

export type Resolved = { ok: true; key: string } | { ok: false; message: string };

/**
 * Resolves a (possibly qualified) name to the one qualified key it means,
 * optionally within a region (and zone) named beside it.
 */
export function resolveLocality(t: Topology, depth: LocalityDepth, name: string, within: { region?: string; zone?: string } = {}): Resolved {
  const keys = localityKeys(t, depth).filter((k) => {
    const [region, zone] = k.split('/');
    return (within.region === undefined || region === within.region) && (within.zone === undefined || depth === 'zone' || zone === within.zone);
  });
  const parts = name.split('/');
  const matches = keys.filter((k) => {
    const segments = k.split('/');
    return parts.length <= segments.length && segments.slice(-parts.length).join('/') === name;
  });
  if (matches.length === 1) return { ok: true, key: matches[0]! };
  if (matches.length > 1) {
    return { ok: false, message: `${depth} "${name}" is ambiguous: it names ${matches.join(', ')}; qualify it, e.g. "${matches[0]}"` };
  }
  if (keys.length === 0) return { ok: false, message: `unknown ${depth} "${name}": the topology has no ${depth}s` };
  const bare = [...new Set(keys.map((k) => k.split('/').pop()!))];
  return { ok: false, message: `unknown ${depth} "${name}"${didYouMean(name, name.includes('/') ? keys : bare)}; ${depth}s are ${keys.join(', ')}` };
}

/** Checks a plain name against a list (instances, nodes, clients, clusters). */
export function checkName(kind: string, name: string, names: readonly string[]): string | null {
  if (names.includes(name)) return null;
  return `unknown ${kind} "${name}"${didYouMean(name, names)}; ${kind}s are ${names.length > 12 ? `${names.slice(0, 12).join(', ')}, …` : names.join(', ')}`;
}

/** The parts of a qualified key: "r/z/s" → {region, zone, subzone}. */
export function splitKey(key: string): { region: string; zone?: string; subzone?: string } {
  const [region, zone, subzone] = key.split('/');
  return { region: region!, ...(zone !== undefined ? { zone } : {}), ...(subzone !== undefined ? { subzone } : {}) };
}
