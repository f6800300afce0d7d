import type { Phase } from '../core/assertion-expr.js';

/** Phase bounds and fault instants of a run, in epoch ms. */
export interface PhaseWindows {
  /** baseline: [baselineStart, faultStart) */
  baselineStart: number;
  /** fault: [faultStart, recoveryStart); faultStart is when injection began. */
  faultStart: number;
  /** t_f: when the inject action completed. */
  injectedAt: number;
  /** recovery: [recoveryStart, end); recoveryStart is when revert began. */
  recoveryStart: number;
  /** t_r: when the revert action completed. */
  revertedAt: number;
  end: number;
}

export function phaseOf(sentAt: number, w: PhaseWindows): Phase | undefined {
  if (sentAt < w.baselineStart || sentAt >= w.end) return undefined;
  if (sentAt < w.faultStart) return 'baseline';
  if (sentAt < w.recoveryStart) return 'fault';
  return 'recovery';
}

export function phaseBounds(phase: Phase, w: PhaseWindows): { start: number; end: number } {
  if (phase === 'baseline') return { start: w.baselineStart, end: w.faultStart };
  if (phase === 'fault') return { start: w.faultStart, end: w.recoveryStart };
  return { start: w.recoveryStart, end: w.end };
}
