import { readFileSync } from 'node:fs';
import { EnvironmentError } from '../../core/errors.js';
import { which, type Executor } from '../../exec/index.js';
import { metallbFetchHint, metallbManifestProblem } from './mesh-install.js';
import { dataPlaneShape, type Mesh } from '../../mesh/choice.js';
import { DEFAULT_LINKERD_VERSION, linkerdVersionFits, parseLinkerdVersion, type LinkerdMulticlusterMode } from '../../mesh/linkerd.js';
import { hostCapacityFindings, istioVersionFits, parseIstioVersion } from './preflight.js';

// What --provider kind needs, and how to get each piece (exit 3 when missing).
// Everything here runs before any cluster is made: a wrong istioctl found
// after minutes of cluster creation is a wasted run.

const HOW: Record<string, string> = {
  docker: 'apt-get install docker.io (or Docker Engine from docker.com), then start it: systemctl start docker',
  kind: 'go install sigs.k8s.io/kind@v0.32.0, or the release binary from https://kind.sigs.k8s.io/docs/user/quick-start/#installation',
  kubectl: 'apt-get install kubernetes-client (Debian), or https://kubernetes.io/docs/tasks/tools/#kubectl',
  istioctl: 'curl -L https://istio.io/downloadIstio | ISTIO_VERSION=<version> sh -, then put istio-<version>/bin on PATH (any <minor> patch will do)',
  openssl: 'apt-get install openssl (it makes the mesh identity: the shared root CA of a multi-cluster Istio, Linkerd\'s trust anchor and issuers)',
  linkerd: 'curl --proto =https -sSfL https://run.linkerd.io/install-edge | LINKERD2_VERSION=<linkerd> sh, then put ~/.linkerd2/bin on PATH (or the linkerd2-cli-<linkerd>-linux-amd64 binary from https://github.com/linkerd/linkerd2/releases/tag/<linkerd>)',
  helm: 'the helm binary from https://github.com/helm/helm/releases (or apt-get install helm from Helm\'s Debian repository); the Linkerd failover extension is a Helm chart',
};

export interface KindNeeds {
  multiCluster: boolean;
  /** The pinned Istio version (x.y or x.y.z: any patch of x.y fits). */
  istioVersion: string;
  /** A zone/region outage with mode isolate: reconnecting with the node's old address needs Docker ≥ 29.1 on kind's network. */
  isolate: boolean;
  controlPlaneNodes: number;
  workerNodes: number;
  /** Without a mesh, istioctl is not needed. */
  mesh?: Mesh;
  /** The pinned Linkerd release (--mesh linkerd): an installed CLI of the same channel, at least this recent, fits. */
  linkerdVersion?: string;
  linkerdMode?: LinkerdMulticlusterMode;
}

export interface KindPrerequisites {
  missing: { what: string; how: string }[];
  /** The installed istioctl's exact version: the image tag the run installs. */
  istioVersion?: string;
  /** The installed linkerd CLI's version: what `linkerd install` renders. */
  linkerdVersion?: string;
}

function readNumber(path: string): number | null {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/**
 * Whether `docker network connect --ip` can give a kind node back its old
 * address on kind's network (whose IPv4 subnet Docker chose). Refused up front:
 * 29.0.x, which refuses --ip unless the subnet was user-configured
 * (moby#51577, fixed in 29.1 by moby#51583). Live here, 20.10.24 refused it
 * too, though moby#51583 says the check "didn't work in 28.x and older": the
 * revert then reconnects without --ip (undoDockerNode). Everything is let
 * through but 29.0.x: the revert checks the address after reconnecting and
 * fails the run, naming it, if Docker gave another (kind-review-2 N8).
 */
export function dockerKeepsAddressOnConnect(serverVersion: string): boolean {
  const [major = 0, minor = 0] = serverVersion.split('.').map((x) => Number.parseInt(x, 10));
  return !(major === 29 && minor === 0);
}

/** `openssl version` → the library and its version; LibreSSL (macOS's /usr/bin/openssl) is told apart. */
export function parseOpensslVersion(output: string): { libre: boolean; major: number; minor: number; patch: number } | null {
  const m = /^(OpenSSL|LibreSSL) (\d+)\.(\d+)\.(\d+)/.exec(output.trim());
  return m ? { libre: m[1] === 'LibreSSL', major: Number(m[2]), minor: Number(m[3]), patch: Number(m[4]) } : null;
}

/** The mesh identity is made with `req -addext` and `-pkeyopt ec_paramgen_curve`: OpenSSL 1.1.1 or later, not LibreSSL (kind-review-2 N6). */
export function opensslFits(v: NonNullable<ReturnType<typeof parseOpensslVersion>>): boolean {
  return !v.libre && (v.major > 1 || (v.major === 1 && (v.minor > 1 || (v.minor === 1 && v.patch >= 1))));
}

/** The install hint for a pin: a minor pin (1.30) installs its .0 patch, any patch fits. */
function how(binary: string, pin: string, linkerd = DEFAULT_LINKERD_VERSION): string {
  const minor = pin.split('.').slice(0, 2).join('.');
  const version = /^\d+\.\d+$/.test(pin) ? `${pin}.0` : pin;
  return HOW[binary]!.replaceAll('<version>', version).replaceAll('<minor>', minor).replaceAll('<linkerd>', linkerd);
}

/**
 * Multi-cluster Linkerd checks its links from this host (`linkerd multicluster
 * check` dials each Link's API server on the kind network), which Docker
 * Desktop does not route to the host: refused up front off Linux (kind-review-2 N4).
 */
export function linkerdLinksProblem(platform: string, multiClusterLinkerd: boolean): { what: string; how: string } | null {
  if (!multiClusterLinkerd || platform === 'linux') return null;
  return { what: `multi-cluster Linkerd on ${platform}: \`linkerd multicluster check\` dials the other clusters' API servers on the kind network, which Docker Desktop does not route to the host`, how: 'run it on Linux, or use --mesh istio (its multi-cluster set-up goes through gateways)' };
}

export async function checkKindPrerequisites(exec: Executor, needs: KindNeeds): Promise<KindPrerequisites> {
  const missing: { what: string; how: string }[] = [];
  const istio = (needs.mesh ?? 'istio') === 'istio';
  const linkerd = needs.mesh === 'linkerd';
  const linkerdPin = needs.linkerdVersion ?? DEFAULT_LINKERD_VERSION;
  const shape = dataPlaneShape(needs.mesh ?? 'istio', { multiCluster: needs.multiCluster, linkerdMode: needs.linkerdMode ?? 'federated' });
  const extension = shape.key === 'linkerd-failover-extension';
  const binaries = ['docker', 'kind', 'kubectl', ...(istio ? ['istioctl'] : []), ...(linkerd ? ['linkerd'] : []), ...(extension ? ['helm'] : []), ...((istio && needs.multiCluster) || linkerd ? ['openssl'] : [])];
  for (const binary of binaries) {
    if (!which(binary)) missing.push({ what: binary, how: how(binary, needs.istioVersion, linkerdPin) });
  }
  if (binaries.includes('openssl') && which('openssl')) {
    const { stdout } = await exec.run(['openssl', 'version'], { timeoutMs: 10_000, context: 'openssl version' }).catch(() => ({ stdout: '' }));
    const v = parseOpensslVersion(stdout);
    if (!v || !opensslFits(v)) {
      missing.push({ what: `OpenSSL 1.1.1 or later for the mesh identity (openssl version said "${stdout.trim()}")`, how: 'on macOS: brew install openssl@3, then put $(brew --prefix openssl@3)/bin first on PATH; on Linux: apt-get install openssl' });
    }
  }
  let linkerdVersion: string | undefined;
  if (linkerd && which('linkerd')) {
    const { stdout } = await exec.run(['linkerd', 'version', '--client', '--short'], { timeoutMs: 20_000, context: 'linkerd version' }).catch(() => ({ stdout: '' }));
    const installed = parseLinkerdVersion(stdout);
    if (!installed) missing.push({ what: `a linkerd CLI that tells its version (linkerd version --client --short said "${stdout.trim()}")`, how: how('linkerd', needs.istioVersion, linkerdPin) });
    else if (!linkerdVersionFits(installed, linkerdPin)) {
      missing.push({ what: `linkerd ${linkerdPin} or later on the same channel (installed: ${installed}; federated Services and multicluster link-gen need 2.18)`, how: `${how('linkerd', needs.istioVersion, linkerdPin)}; or run with --linkerd-version ${installed}` });
    } else linkerdVersion = installed;
  }
  let istioVersion: string | undefined;
  if (istio && which('istioctl')) {
    const { stdout } = await exec.run(['istioctl', 'version', '--remote=false', '--short'], { timeoutMs: 20_000, context: 'istioctl version' }).catch(() => ({ stdout: '' }));
    const installed = parseIstioVersion(stdout);
    if (!installed) missing.push({ what: `an istioctl that tells its version (istioctl version --remote=false --short said "${stdout.trim()}")`, how: how('istioctl', needs.istioVersion) });
    else if (!istioVersionFits(installed, needs.istioVersion)) {
      missing.push({ what: `istioctl ${needs.istioVersion.split('.').slice(0, 2).join('.')}.x (installed: ${installed})`, how: `${how('istioctl', needs.istioVersion)}; or run with --istio-version ${installed}` });
    } else istioVersion = installed;
  }
  if (which('docker')) {
    const info = await exec.run(['docker', 'info', '--format', '{{.ServerVersion}} {{.MemTotal}}'], { timeoutMs: 10_000 }).catch(() => undefined);
    if (!info) missing.push({ what: 'a running Docker engine (docker info failed)', how: 'start it: systemctl start docker (or dockerd &), and check you may use /var/run/docker.sock' });
    else {
      const [serverVersion = '', mem = ''] = info.stdout.trim().split(/\s+/);
      if (needs.isolate && !dockerKeepsAddressOnConnect(serverVersion)) {
        missing.push({
          what: `Docker ${serverVersion} cannot reconnect a kind node with its old address (mode isolate): 29.0.x refuses --ip on a network without a user-configured IPv4 subnet, as kind's is (moby#51577; 28.x and older, and 29.1 and later, accept it)`,
          how: 'upgrade Docker to 29.1 or later, or use --mode kill or --mode freeze',
        });
      }
      missing.push(
        ...hostCapacityFindings({
          maxUserWatches: readNumber('/proc/sys/fs/inotify/max_user_watches'),
          maxUserInstances: readNumber('/proc/sys/fs/inotify/max_user_instances'),
          dockerMemoryBytes: Number(mem) > 0 ? Number(mem) : null,
          controlPlaneNodes: needs.controlPlaneNodes,
          workerNodes: needs.workerNodes,
        }),
      );
    }
  }
  const linkerdLinks = linkerdLinksProblem(process.platform, linkerd && needs.multiCluster);
  if (linkerdLinks) missing.push(linkerdLinks);
  // MetalLB gives the gateways their addresses: Istio's east-west gateways, the failover extension's Linkerd gateways.
  if (shape.gateways) {
    const problem = metallbManifestProblem();
    if (problem) missing.push({ what: problem, how: metallbFetchHint() });
  }
  return { missing, ...(istioVersion ? { istioVersion } : {}), ...(linkerdVersion ? { linkerdVersion } : {}) };
}

export function prerequisitesError(p: KindPrerequisites): EnvironmentError {
  return new EnvironmentError(
    `--provider kind is missing: ${p.missing.map((m) => m.what).join('; ')}`,
    `${p.missing.map((m) => `${m.what}: ${m.how}`).join('\n  → ')}\n  → or see the whole plan without any of them: --dry-run`,
  );
}
