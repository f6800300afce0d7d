// The public API experiments import. Everything else is internal.
export { defineExperiment, type ExperimentInput } from './core/experiment.js';
export { NODE_MONITOR_GRACE_S } from './providers/kind/kind-config.js';
export type { FaultSpecInput, Selector, OutageMode } from './core/fault-spec.js';
export type { FailoverPolicyInput } from './core/policy.js';
export type { TopologyInput } from './core/topology.js';
export type { Journal, ClientResult, PhaseMetrics, AssertionResult } from './core/journal.js';
