import { defineExperiment } from '../harness/index.js';
import drainListeners from './drain-listeners.js';

// drain-listeners as Istio's locality-failover task does it: the drained
// instance's own sidecar gets `POST /drain_listeners?inboundonly` (Envoy 1.38:
// its inbound listener closes at once; connections already open are not told
// and keep being served). What follows is what that drain really does, pooled
// connections included: the client's sidecar keeps its keep-alive connections
// to tianjin and keeps being served there, so this drain moves almost nothing.
// The default drain-listeners (mode listener) closes the echo's own listener
// and every connection, which is what moves traffic (and what kind does).

const { providerAssertions: _kind, meshAssertions: _meshes, ...base } = drainListeners;

export default defineExperiment({
  ...base,
  name: 'drain-listeners-sidecar',
  description: "tianjin's server-side Envoy is drained (drain_listeners?inboundonly, as Istio's task does); its pooled connections keep serving, so the client stays on tianjin.",
  verifies: 'what the sidecar drain really does: the client keeps being served by tianjin over its pooled connections, without errors; contrast drain-listeners, which closes the connections too.',
  faults: [{ kind: 'drain-listeners', target: { subzone: 'tianjin' }, mode: 'sidecar' }],
  assertions: [
    'client(tianjin-client).baseline.servedBy.subzone(tianjin) >= 95%',
    'client(tianjin-client).fault.errorRate == 0',
    // Pooled keep-alive connections outlive the drained listener: the traffic does not move.
    'client(tianjin-client).fault.servedBy.subzone(tianjin) >= 90%',
  ],
});
