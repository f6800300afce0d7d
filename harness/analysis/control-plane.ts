import { PHASES, type Phase } from '../core/assertion-expr.js';
import type { Availability, ControlPlaneResult, EndpointResult } from '../core/journal.js';
import type { ProbeOp, ProbeRecord, StatusRecord } from '../probes/record.js';
import type { PhaseWindows } from './phase-windows.js';
import { phaseBounds, phaseOf } from './phase-windows.js';
import type { Placement } from './placement.js';
import { timeAfterLastBad } from './sequence.js';

export interface ControlPlaneInput {
  members: readonly string[];
  probes: readonly ProbeRecord[];
  statuses: readonly StatusRecord[];
  windows: PhaseWindows;
  /** Members the faults took down. */
  lostMembers: readonly string[];
  probeIntervalMs: number;
  probeTimeoutMs: number;
  placement: Placement;
  verification: { acknowledged: number; lost: string[] } | null;
  /** The leader the first fault found when it chose a member to take (leader/follower), if it asked. */
  leaderAtInjection?: string;
}

function availability(records: readonly ProbeRecord[]): Availability {
  const failed = records.filter((r) => !r.ok).length;
  return { requests: records.length, failed, availability: records.length === 0 ? 0 : (records.length - failed) / records.length };
}

/**
 * Longest time without any write being acknowledged, measured between the
 * completions of consecutive successful writes, over gaps that contain a failed
 * write and overlap the fault phase. (By send time a write sent mid-outage can
 * succeed later, which would hide part of the window.)
 */
export function writeUnavailableMs(writes: readonly ProbeRecord[], faultStart: number, faultEnd: number, runEnd: number): number {
  const acks = writes.filter((w) => w.ok).map((w) => w.sentAt + w.latencyMs).sort((a, b) => a - b);
  const failures = writes.filter((w) => !w.ok).map((w) => w.sentAt);
  const bounds = [Number.NEGATIVE_INFINITY, ...acks, runEnd];
  let worst = 0;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const from = bounds[i]!;
    const to = bounds[i + 1]!;
    if (to <= faultStart || from >= faultEnd) continue;
    if (!failures.some((f) => f > from && f < to)) continue;
    const start = Number.isFinite(from) ? from : Math.min(...failures.filter((f) => f < to));
    worst = Math.max(worst, to - start);
  }
  return worst;
}

/** The leader per poll round: the one reported with the highest term; null when no member names one. */
export function leaderByRound(statuses: readonly StatusRecord[]): { sentAt: number; leader: string | null }[] {
  const rounds = new Map<number, StatusRecord[]>();
  for (const s of statuses) (rounds.get(s.round) ?? rounds.set(s.round, []).get(s.round)!).push(s);
  return [...rounds.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, round]) => {
      const views = round.filter((s) => s.ok && s.leader !== null).sort((a, b) => (b.term ?? 0) - (a.term ?? 0));
      return { sentAt: Math.min(...round.map((s) => s.sentAt)), leader: views[0]?.leader ?? null };
    });
}

/**
 * A fault-phase operation the fault phase leaves out: one sent before the
 * fault was in force (on kind the inject action, a leader lookup on a loaded
 * cluster among it, took up to 2.5 s live, and writes sent meanwhile
 * succeeded), or one answered only after the revert began (its answer may
 * owe to the revert: live, a quorum loss's survivor answered its last
 * serializable reads of the phase 2 s late on a busy machine, one sent 30 ms
 * before the revert among them). One that failed after the revert began
 * stays a failure: it waited through the fault, and a revert does not make
 * operations fail.
 */
function notJudgedInFault(r: ProbeRecord, w: ControlPlaneInput['windows']): boolean {
  return phaseOf(r.sentAt, w) === 'fault' && (r.sentAt < w.injectedAt || (r.ok && r.sentAt + r.latencyMs >= w.recoveryStart));
}

/**
 * From when the revert began (restarting members is part of coming back) to
 * the first write sent after the last failed one. Writes still failing when
 * the revert began and none failing after it are back from the first write
 * sent after it, not at once: live, a quorum loss's probe sent none for 1 s
 * after the revert began, and the figure read 0 ms.
 */
function writeRecovery(faultWrites: readonly ProbeRecord[], recoveryWrites: readonly ProbeRecord[], from: number): number | null {
  const t = timeAfterLastBad(recoveryWrites, (r) => !r.ok, from);
  const stillFailing = faultWrites.at(-1)?.ok === false;
  return t === 0 && stillFailing && recoveryWrites.length > 0 ? Math.max(0, recoveryWrites[0]!.sentAt - from) : t;
}

/**
 * With several probe streams (kind: one per API server, each wired to its own
 * etcd member), the headline figures come from the streams whose member the
 * faults did not take (an API server whose etcd is gone fails by design),
 * or from all of them when every member was taken; the write-unavailable
 * window is the worst of those streams'. Each stream's own figures are kept.
 */
function splitStreams(input: ControlPlaneInput): { headline: readonly ProbeRecord[]; endpoints?: EndpointResult[] } {
  const names = [...new Set(input.probes.map((r) => r.endpoint).filter((e): e is string => e !== undefined))].sort();
  if (names.length === 0) return { headline: input.probes };
  const alive = names.filter((e) => !input.lostMembers.includes(e));
  const chosen = alive.length > 0 ? alive : names;
  const fault = phaseBounds('fault', input.windows);
  const endpoints = names.map((endpoint) => {
    const mine = input.probes.filter((r) => r.endpoint === endpoint && phaseOf(r.sentAt, input.windows) === 'fault' && !notJudgedInFault(r, input.windows));
    const op = (probe: ProbeOp) => availability(mine.filter((r) => r.probe === probe));
    return {
      endpoint,
      memberLost: input.lostMembers.includes(endpoint),
      inHeadline: chosen.includes(endpoint),
      writeUnavailableMs: writeUnavailableMs(
        input.probes.filter((r) => r.endpoint === endpoint && r.probe === 'write'),
        fault.start,
        fault.end,
        input.windows.end,
      ),
      fault: { writes: op('write'), linearizableReads: op('read-linearizable'), serializableReads: op('read-serializable') },
    };
  });
  return { headline: input.probes.filter((r) => r.endpoint === undefined || chosen.includes(r.endpoint)), endpoints };
}

/** Control-plane metrics of a run. Pure. */
export function analyseControlPlane(input: ControlPlaneInput): ControlPlaneResult {
  const { windows: w } = input;
  const streams = splitStreams(input);
  const sorted = [...streams.headline].sort((a, b) => a.sentAt - b.sentAt);
  // The fault phase judges what the fault in force decided (notJudgedInFault says what it leaves out).
  const judged = sorted.filter((r) => !notJudgedInFault(r, w));
  const of = (phase: Phase, op: ProbeOp) => judged.filter((r) => r.probe === op && phaseOf(r.sentAt, w) === phase);
  const phases = Object.fromEntries(
    PHASES.map((p) => [p, { writes: availability(of(p, 'write')), linearizableReads: availability(of(p, 'read-linearizable')), serializableReads: availability(of(p, 'read-serializable')) }]),
  ) as ControlPlaneResult['phases'];

  const faultWrites = of('fault', 'write');
  const fault = phaseBounds('fault', w);
  const lateWrites = faultWrites.filter((r) => r.sentAt >= w.injectedAt + input.probeTimeoutMs);
  const readOnly = lateWrites.length > 0 && lateWrites.every((r) => !r.ok);

  const rounds = leaderByRound(input.statuses);
  const named = rounds.filter((r) => r.leader !== null);
  // The fault's own lookup is a view of the leader too, at the moment it chose: one more round in the sequence.
  const found = input.leaderAtInjection;
  const known = found ? [...named.filter((r) => r.sentAt < w.faultStart), { sentAt: w.faultStart, leader: found }, ...named.filter((r) => r.sentAt >= w.faultStart)] : named;
  let leaderChanges = 0;
  for (let i = 1; i < known.length; i++) if (known[i]!.leader !== known[i - 1]!.leader) leaderChanges++;
  // The leader when the fault struck: the one the fault itself found when it chose its member (asked of the
  // members just before the kill), else the last one a round named before the inject action completed. Live on
  // kind the rounds before the fault phase all failed (a loaded leader answers its metrics slowly), and once
  // the only rounds naming one fell inside the action (it may take seconds).
  const initialLeader = input.leaderAtInjection ?? [...known].reverse().find((r) => r.sentAt < w.injectedAt)?.leader ?? null;
  const finalLeader = known[known.length - 1]?.leader ?? null;
  const leaderLost = initialLeader !== null && input.lostMembers.includes(initialLeader);
  const elected = known.find((r) => r.sentAt >= w.injectedAt && r.leader !== initialLeader);
  const recoveryWrites = of('recovery', 'write');

  return {
    members: [...input.members],
    probeIntervalMs: input.probeIntervalMs,
    resolutionMs: input.probeIntervalMs,
    placement: input.placement,
    phases,
    writeUnavailableMs: streams.endpoints
      ? Math.max(0, ...streams.endpoints.filter((e) => e.inHeadline).map((e) => e.writeUnavailableMs))
      : writeUnavailableMs(
          sorted.filter((r) => r.probe === 'write'),
          fault.start,
          fault.end,
          w.end,
        ),
    writeFailuresDuringFault: phases.fault.writes.failed,
    initialLeader,
    finalLeader,
    leaderChanges,
    leaderLost,
    leaderElectionMs: leaderLost && elected ? Math.max(0, elected.sentAt - w.injectedAt) : null,
    readOnly,
    writeRecoveryMs: writeRecovery(of('fault', 'write'), recoveryWrites, w.recoveryStart),
    acknowledgedWrites: input.verification?.acknowledged ?? 0,
    lostAcknowledgedWrites: input.verification ? input.verification.lost.length : null,
    lostKeys: input.verification?.lost.slice(0, 20) ?? [],
    ...(streams.endpoints ? { endpoints: streams.endpoints } : {}),
  };
}
