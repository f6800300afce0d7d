// How long Kubernetes (with istiod) takes to change a service's endpoints
// after each kind of fault: the settings of the local provider's modelled
// control plane (providers/local/endpoint-model.ts). Milliseconds. Each default
// and its source is in docs/local-mesh.md.

export interface EndpointDelays {
  /** A lost node's pods are marked not ready only after kube-controller-manager's --node-monitor-grace-period (the harness's kind clusters set 20 s). */
  nodeMonitorGracePeriod: number;
  /** A container that died: the kubelet's PLEG relist (every 1 s) sees it and marks the pod not ready. */
  containerExitDetection: number;
  /** A frozen container: its readiness probe fails failureThreshold times, periodSeconds apart (the echo's: 3 × 1 s). */
  readinessFailure: number;
  /** A container serving again: one passing readiness probe (periodSeconds 1). */
  readinessSuccess: number;
  /** Pod readiness → EndpointSlice → istiod (100 ms debounce) → the sidecar's EDS. */
  endpointPropagation: number;
}

export const DEFAULT_ENDPOINT_DELAYS: EndpointDelays = {
  nodeMonitorGracePeriod: 20_000,
  containerExitDetection: 1000,
  readinessFailure: 3000,
  readinessSuccess: 1000,
  endpointPropagation: 500,
};
