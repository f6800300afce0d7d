import { fileURLToPath } from 'node:url';

// The kind options' defaults, apart from the kind provider itself so the CLI
// can show them in --help without loading it (it pulls in client-node and the
// Kubernetes models: seconds of start-up).

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The Istio minor a kind run pins by default; any patch of it fits. */
export const DEFAULT_ISTIO_VERSION = '1.30';
export const DEFAULT_IMAGE = 'failover-harness/echo:dev';
/** The Linkerd release a kind run pins by default (2.18): an installed CLI at least this recent fits. Kept beside the renderers too (mesh/linkerd.ts). */
export { DEFAULT_LINKERD_VERSION } from '../mesh/linkerd.js';
