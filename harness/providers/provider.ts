import type { FaultSpec } from '../core/fault-spec.js';
import type { RequestRecord } from '../traffic/record.js';

// What the runner needs from an environment. Providers live in their own
// folders (local/, later kind/) behind this interface.

export interface InjectedFault {
  /** Human-readable target ("zone=zone-a"). */
  target: string;
  mode?: string;
  /** What was acted on: instance or node names. */
  affected: string[];
  /** Undo the fault. Idempotent. */
  revert(): Promise<void>;
}

export interface TrafficPlan {
  /** Epoch ms at which every client sends its first request. */
  startAt: number;
  /** Hard bound on how long a driver runs, even if nobody stops it. */
  maxDurationMs: number;
}

export interface Provider {
  readonly name: string;
  readonly isolation: string;
  /** Network and nodes. */
  provision(): Promise<void>;
  /** Service instances and client sidecars, ready to serve. */
  deploy(): Promise<void>;
  startTraffic(plan: TrafficPlan): Promise<void>;
  /** Stops the drivers and returns every recorded request. */
  stopTraffic(): Promise<{ records: RequestRecord[]; files: string[] }>;
  inject(spec: FaultSpec): Promise<InjectedFault>;
  /** Removes everything provision/deploy made; returns what could not be removed. */
  teardown(): Promise<string[]>;
  /** Facts for the report (versions, isolation, kernel). */
  facts(): Record<string, string>;
}
