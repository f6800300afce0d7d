import type { Journal } from '../core/journal.js';

// What carried a run's traffic, which parts of the failover policy it did not
// put in force and which assertions it was not held to: read from the facts
// the provider recorded (report.json's environment). Pure; shared by the run's
// reports and the compare page.

export interface DataPlaneFacts {
  dataPlane: string;
  notInForce: string[];
  notExpected: string[];
}

/**
 * The run's list facts as recorded (report.json's environment holds strings):
 * parts joined with "; ", read back by factParts. A part must not hold a ";"
 * outside parentheses (a unit test checks every experiment's on every mesh).
 */
export function recordedFacts(notInForce: readonly string[], notExpected: readonly { metric: string; why: string }[]): { policyNotInForce?: string; notExpected?: string } {
  return {
    ...(notInForce.length ? { policyNotInForce: notInForce.join('; ') } : {}),
    ...(notExpected.length ? { notExpected: notExpected.map((n) => `${n.metric}: ${n.why}`).join('; ') } : {}),
  };
}

/** A fact recorded as "a (why; more); b (why)": its parts, split outside parentheses. */
export function factParts(fact: string | undefined): string[] {
  if (!fact) return [];
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of fact) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ';' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

/** The wording both reports use around the facts (each adds its own markup). */
export const DATA_PLANE_TEXT = {
  wholePolicy: ' (the whole failover policy in force)',
  notInForce: 'Not in force:',
  notExpected: 'Not expected of this data plane (assertions dropped, with why):',
} as const;

export function dataPlaneOf(j: Journal): string {
  // Reports written before the local data plane was Envoy said HAProxy in their environment facts.
  if (j.provider === 'local') return `local ${j.environment.sidecar?.startsWith('Envoy') ? `${j.environment.sidecar.split(' (')[0]} sidecars` : 'HAProxy sidecars'} (${j.isolation})`;
  const mesh = j.environment.mesh ?? (j.environment.istio ? `Istio ${j.environment.istio}` : 'unknown mesh');
  return `${j.provider}: ${mesh}`;
}

export function dataPlaneFacts(j: Journal): DataPlaneFacts {
  return { dataPlane: dataPlaneOf(j), notInForce: factParts(j.environment.policyNotInForce), notExpected: factParts(j.environment.notExpected) };
}
