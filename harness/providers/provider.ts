import type { FaultSpec } from '../core/fault-spec.js';
import type { DataPlaneAccount, InstanceLoad, TimelineEvent } from '../core/journal.js';
import type { RequestRecord } from '../traffic/record.js';
import type { ProbeRecord, StatusRecord } from '../probes/record.js';

/** The control plane of an environment, when its topology has one. */
export interface ControlPlaneAccess {
  members: string[];
  probeIntervalMs: number;
  probeTimeoutMs: number;
  startProbes(startAt: number): void;
  stopProbes(): Promise<{ probes: ProbeRecord[]; statuses: StatusRecord[]; file: string }>;
  /** Reads back every acknowledged write after recovery. */
  verifyWrites(): Promise<{ acknowledged: number; lost: string[] } | null>;
}

// What the runner needs from an environment. Providers live in their own
// folders (local/, later kind/) behind this interface.

export interface InjectedFault {
  /** Human-readable target ("zone=zone-a"). */
  target: string;
  mode?: string;
  /** What was acted on: instance or node names. */
  affected: string[];
  /** etcd-member-loss naming leader or follower: the leader the provider found when it chose (the members' own view then). */
  leader?: string;
  /** Undo the fault: returns once the undo is issued. Idempotent. */
  revert(): Promise<void>;
  /**
   * Returns once what the fault took is back (node Ready, pods Ready, member
   * serving), where that takes longer than issuing the revert (kind). The
   * runner stamps `revertedAtMs` when the revert was issued and
   * `revertReadyAtMs` when this returns.
   */
  awaitRecovered?(): Promise<void>;
  /**
   * Gray faults: when each client's request last reached a faulted instance
   * (epoch ms, from the instances themselves), read just before the revert.
   * A slow answer may never reach the client, so its records cannot say.
   */
  observe?(): Promise<Record<string, number>>;
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
  /** The data plane, where a provider offers several (kind: --mesh, and Linkerd's multicluster mode); picks the experiment's meshAssertions. */
  readonly dataPlane?: string;
  /** Network and nodes. */
  provision(): Promise<void>;
  /** Service instances and client sidecars, ready to serve. */
  deploy(): Promise<void>;
  startTraffic(plan: TrafficPlan): Promise<void>;
  /**
   * Stops the drivers and returns every recorded request. `incomplete`: per
   * client, why its records are not the whole of what it sent (a driver that
   * failed, a count that does not match its summary); such a client's figures
   * verify nothing.
   */
  stopTraffic(): Promise<{ records: RequestRecord[]; files: string[]; incomplete?: Record<string, string> }>;
  inject(spec: FaultSpec): Promise<InjectedFault>;
  /** The data plane's own account (local Envoy sidecars), read after the drivers stop and before teardown. */
  dataPlaneAccount?(): Promise<Omit<DataPlaneAccount, 'checks'> | undefined>;
  /** What the provider did on its own during the run (the modelled control plane's EDS changes), for the timeline. */
  events?(): TimelineEvent[];
  /** Removes everything provision/deploy made; returns what could not be removed. */
  teardown(): Promise<string[]>;
  /** How long clients need to start before the agreed first request (default 1.5 s). */
  readonly trafficLeadMs?: number;
  /** Present when the topology declares a control plane. */
  readonly controlPlane?: ControlPlaneAccess;
  /** Facts for the report (versions, isolation, kernel). */
  facts(): Record<string, string>;
  /** What each capacity-limited instance served and shed (read from the instances before teardown). */
  instanceLoad?(): Promise<InstanceLoad[]>;
}
