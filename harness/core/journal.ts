import type { Comparator, Phase } from './assertion-expr.js';
import type { Locality, Tier } from './locality.js';

// The journal: the single result object of a run, written as report.json.
// Every reporter is a pure function of it. Field names here are a contract:
// they may gain siblings, they do not change.

/** `unverified`: the run completed but had no assertion, so nothing was verified. */
/** `crashed`: the harness itself died (SIGKILL, power loss); written by `npm run cleanup`, which undid what it left. */
export type RunStatus = 'passed' | 'failed' | 'unverified' | 'aborted' | 'error' | 'crashed';

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LocalityShares {
  sameSubzone: number;
  sameZone: number;
  sameRegion: number;
  otherRegion: number;
}

export interface PhaseMetrics {
  /** Phase bounds in epoch ms: [start, end). */
  start: number;
  end: number;
  requests: number;
  succeeded: number;
  failed: number;
  errorRate: number;
  errors: Record<string, number>;
  /** Longest run of consecutive failed requests, and how long it lasted. */
  longestFailureRun: number;
  blackoutMs: number;
  /** Latency of successful requests (nearest-rank percentiles); null without successes. */
  latencyMs: LatencySummary | null;
  /** Shares of successful requests, relative to the client (nested: sameSubzone ⊆ sameZone ⊆ sameRegion). */
  locality: LocalityShares;
  /** Shares of successful requests by priority tier (p0 … p4). */
  tiers: Record<`p${Tier}`, number>;
  /** Shares of successful requests by serving region, zone ("region/zone"), subzone ("region/zone/subzone") and instance name. */
  servedBy: { region: Record<string, number>; zone: Record<string, number>; subzone: Record<string, number>; instance: Record<string, number> };
  /** Requests the driver could not send on time (its own overload): in no other figure. */
  notSent?: number;
}

/** Binned time series for charts (see analysis/series.ts). */
export interface ClientSeriesData {
  /** Epoch ms of bin 0. */
  start: number;
  binMs: number;
  /** The locality level successes are grouped by: the coarsest that tells them apart. */
  groupBy: 'region' | 'zone' | 'subzone' | 'instance';
  groups: string[];
  /** served[g][i]: successes served by groups[g] in bin i. */
  served: number[][];
  failed: number[];
  /** Per bin latency of successes (ms); null for a bin without successes. */
  p50: (number | null)[];
  max: (number | null)[];
}

export interface ClientResult {
  name: string;
  locality: Locality;
  /** The best tier that has any endpoint for this client. */
  preferredTier: Tier;
  /** The largest gap between this client's sends: no time metric is finer. */
  resolutionMs: number;
  phases: Record<Phase, PhaseMetrics>;
  /**
   * Time figures: null when the event never happened within the run (never
   * recovered, never failed over, never came back); absent when no fault was
   * injected (a run aborted or failed before it): nothing to measure.
   */
  recoveryTimeMs?: number | null;
  timeToFailoverMs?: number | null;
  failbackTimeMs?: number | null;
  /** From t_f to the last request a faulted instance answered; null when no instance was faulted or it was never ejected. */
  ejectionTimeMs?: number | null;
  /** Requests over time, for the report's charts. */
  series?: ClientSeriesData;
  /** Why this client's records are not the whole of what it sent; its assertions are then unverified. */
  incomplete?: string;
}

/** What one capacity-limited instance reported at the end of the run. */
export interface InstanceLoad {
  instance: string;
  capacityRps: number;
  served: number;
  /** Answered 503 above capacity (overflow: shed). */
  shed: number;
  /** The longest a request waited for its turn (overflow: queue). */
  maxQueueMs: number;
}

/** Capacity predicted from the topology and timeline (analysis/capacity.ts). */
export interface CapacityPrediction {
  loadRps: number;
  capacityRps: number;
  /** Capacity / load before any fault. */
  baselineHeadroom: number;
  /** The least surviving capacity / load over the timeline. */
  worstHeadroom: number;
  /** The instances out at the worst moment. */
  lost: string[];
  predictedOverload: boolean;
}

/** The prediction, and what the instances measured. */
export interface CapacityResult extends CapacityPrediction {
  instances: InstanceLoad[];
  shed: number;
  /** The prediction held: overload predicted exactly when requests were shed. */
  agrees: boolean;
  /** Over the fault and recovery phases, what the clients saw fail: answered with an error by an instance (shed, gray), */
  failedByInstances?: number;
  /** refused by the data plane with no instance answering (a sidecar's 503 "no healthy upstream"), */
  refusedBySidecar?: number;
  /** or never answered (timeouts, resets). */
  failedUnanswered?: number;
}

/** One client's figures over one injection's own window (see analysis/fault-impact.ts). */
export interface InjectionImpact {
  requests: number;
  failed: number;
  recoveryTimeMs: number | null;
  timeToFailoverMs: number | null;
  failbackTimeMs: number | null;
  /** Requests sent while it was in, to the instances it acted on; null when it acts on none, or they were never ejected. */
  ejectionTimeMs?: number | null;
  /** Where this client's successful requests went while it was in (shares), as a phase's servedBy. */
  servedBy?: PhaseMetrics['servedBy'];
  /** The longest run of failed requests while it was in, in ms (as a phase's blackoutMs). */
  blackoutMs?: number;
  /** Requests sent from its revert to the end of its window, and how many failed: the cost after it. */
  after?: { requests: number; failed: number };
}

/** One injection of a fault (a fault with `repeat` has several). */
export interface FaultRecord {
  kind: string;
  target: string;
  mode?: string;
  /** What the fault acted on (instances, nodes). */
  affected: string[];
  /** etcd-member-loss choosing leader or follower: the leader the members named when it chose. */
  leaderAtInjection?: string;
  /** Index of the fault in the experiment, and which of its injections this is (0 = first). */
  fault?: number;
  repetition?: number;
  /** When the timeline planned the inject and the revert (epoch ms). */
  plannedAtMs?: number;
  plannedUntilMs?: number;
  /** How far behind its plan the inject started (ms, never negative). */
  lateMs?: number;
  injectStartedAtMs: number;
  injectedAtMs: number;
  revertStartedAtMs: number | null;
  /** When the revert was issued (failback is measured from here). */
  revertedAtMs: number | null;
  /** When what the fault took was back and ready (node Ready, pods Ready); equals revertedAtMs where that is immediate. */
  revertReadyAtMs?: number | null;
  /** Gray faults: when each client's request last reached a faulted instance (from the instances), read before the revert. */
  lastRequestAtMs?: Record<string, number>;
  /** Per client, the figures of this injection's own window. */
  impact?: Record<string, InjectionImpact>;
}

export interface Availability {
  requests: number;
  failed: number;
  availability: number;
}

/** Control-plane (etcd) metrics, present when the topology has a control plane. */
export interface ControlPlaneResult {
  members: string[];
  probeIntervalMs: number;
  resolutionMs: number;
  placement: Placement;
  phases: Record<'baseline' | 'fault' | 'recovery', { writes: Availability; linearizableReads: Availability; serializableReads: Availability }>;
  /** Longest stretch of failed writes in the fault phase (ms). */
  writeUnavailableMs: number;
  writeFailuresDuringFault: number;
  initialLeader: string | null;
  finalLeader: string | null;
  leaderChanges: number;
  /** Whether the leader was among the members the fault took down. */
  leaderLost: boolean;
  /** From t_f until a new leader was observed, when the leader was lost. */
  leaderElectionMs: number | null;
  /** Every write sent more than one probe timeout after t_f failed. */
  readOnly: boolean;
  /** From the start of the revert to the first write after the last failed one in the recovery phase. */
  writeRecoveryMs: number | null;
  acknowledgedWrites: number;
  /** Acknowledged writes missing or wrong when read back after recovery; null if not verified. */
  lostAcknowledgedWrites: number | null;
  lostKeys: string[];
  series?: ControlPlaneSeriesData;
  /** Per probe stream, when there are several (kind: one per API server); the headline uses those with inHeadline. */
  endpoints?: EndpointResult[];
}

/** One probe stream's figures (kind: one API server and the etcd member it is wired to). */
export interface EndpointResult {
  endpoint: string;
  /** The faults took this endpoint's own member: its failures are by design, not part of the headline. */
  memberLost: boolean;
  inHeadline: boolean;
  writeUnavailableMs: number;
  fault: { writes: Availability; linearizableReads: Availability; serializableReads: Availability };
}

export interface ControlPlaneSeriesData {
  start: number;
  binMs: number;
  writesOk: number[];
  writesFailed: number[];
  linearizableOk: number[];
  linearizableFailed: number[];
  serializableOk: number[];
  serializableFailed: number[];
  /** The leader reported in each bin (last view with the highest term), null when none. */
  leader: (string | null)[];
}

export interface PlacementFinding {
  fault: string;
  /** Members this fault takes down (a count when chosen at run time). */
  membersLost: number;
  members: number;
  quorum: number;
  quorumLost: boolean;
  message: string;
}

/** Quorum and capacity arithmetic computed from the topology before injecting. */
export interface Placement {
  members: number;
  quorum: number;
  /** Members per zone ("region/zone" → names). */
  membersByZone: Record<string, string[]>;
  /** Zones that run service instances. */
  serviceZones: number;
  /** Capacity needed to survive one zone with instances spread evenly: n/(n−1). */
  overheadOneZone: number | null;
  /** Zones the experiment's faults take down, and the capacity needed to survive all of them: n/(n−k). */
  zonesLost: number;
  overheadForFault: number | null;
  findings: PlacementFinding[];
  /** True when some fault is predicted to lose quorum. */
  predictsQuorumLoss: boolean;
}

export interface AssertionResult {
  name: string;
  /** The client it was evaluated for; empty for run-level metrics (controlPlane.*, data.*). */
  client: string;
  metric: string;
  op: Comparator;
  passed: boolean;
  actual: number | null;
  expected: number | null;
  /**
   * Why the assertion could not be verified (no request in the window its
   * metric covers, or the client's records are incomplete): it is then not
   * passed, whatever the comparison would say.
   */
  unverified?: string;
  /** Given on the command line (--assert), not the experiment's own: the expression it replaced (null: added). */
  override?: { replaces: string | null };
}

/** A command-line option that changed the experiment as written, and what it replaced. */
export interface Override {
  /** The option as typed: "--assert", "--rate", "--mode"… */
  option: string;
  value: string;
  /** The experiment's own value or expression it replaced; null when it added one. */
  replaces: string | null;
}

/** One sidecar's own account (Envoy's admin API), scraped during the run and at its end. */
export interface SidecarAccount {
  client: string;
  /** Cluster and listener counters at the end (Envoy /stats, names without the cluster prefix): retries, ejections, 5xx… */
  counters: Record<string, number>;
  /** Per instance at the end: upstream requests, successes, errors, timeouts and connect failures as Envoy counted them. */
  hosts: { instance: string; rqTotal: number; rqSuccess: number; rqError: number; rqTimeout: number; cxConnectFail: number }[];
  /** Each stretch an instance was flagged by outlier detection, as the scrapes saw it (epoch ms; `until` null: still at the end). */
  ejections: { instance: string; at: number; until: number | null }[];
  /** The most instances any one scrape saw flagged at once. */
  maxEjected: number;
}

/** A figure the records give beside the same figure the data plane gives; a disagreement is shown, never hidden. */
export interface DataPlaneCheck {
  client: string;
  what: string;
  records: number | null;
  sidecar: number | null;
  agrees: boolean;
  note?: string;
}

/** The data plane's own account of a local run (Envoy sidecars), and its cross-check against the records. */
export interface DataPlaneAccount {
  proxy: string;
  /** How often each sidecar's /clusters was read: the resolution of its ejection times. */
  scrapeIntervalMs: number;
  sidecars: SidecarAccount[];
  checks: DataPlaneCheck[];
}

export interface TimelineEvent {
  at: number;
  event: string;
  detail?: string;
}

export interface Journal {
  schemaVersion: 1;
  runId: string;
  experiment: string;
  description: string;
  provider: string;
  isolation: string;
  status: RunStatus;
  error?: string;
  startedAt: string;
  finishedAt: string;
  settings: {
    ratePerClient: number;
    requestTimeoutMs: number;
    phasesMs: Record<Phase, number>;
    recoveryWindowMs: number;
    recoveryThreshold: number;
    /** What the command line changed, each with what it replaced ([] for the experiment as written; absent in reports before it was recorded). */
    overrides?: Override[];
  };
  policy: unknown;
  topology: { nodes: { name: string; locality: Locality; instances: string[]; client: boolean }[] };
  timeline: TimelineEvent[];
  faults: FaultRecord[];
  clients: ClientResult[];
  controlPlane?: ControlPlaneResult;
  /** Quorum/capacity predictions from the topology, when there is a control plane. */
  placement?: Placement;
  /** When every instance declares a capacity: predicted and measured. */
  capacity?: CapacityResult;
  /** Local runs: the Envoy sidecars' own counters and ejections, cross-checked against the records. */
  dataPlane?: DataPlaneAccount;
  assertions: AssertionResult[];
  /** `worstRecoveryTimeMs`: null when a client never recovered; absent when nothing was measured (no fault injected). */
  metrics: {
    requests: number;
    failed: number;
    worstRecoveryTimeMs?: number | null;
    assertionsPassed: number;
    assertionsFailed: number;
    /** Requests sent at or after traffic stop (in flight when it came): in the records, in no phase and no figure. */
    afterStop?: number;
  };
  environment: Record<string, string>;
  /**
   * The raw records, relative to the run folder. `digests`: each file's line
   * count and SHA-256 when the run ended, which `npm run report` and
   * scripts/recompute.py check before trusting the file (absent in reports
   * written before they were recorded).
   */
  records: { files: string[]; count: number; digests?: Record<string, { lines: number; sha256: string; blockLines?: number; blocks?: string[] }> };
}
