import { EnvironmentError } from '../../core/errors.js';
import { which, type Executor } from '../../exec/index.js';

// What --provider kind needs, and how to get each piece (exit 3 when missing).

const HOW: Record<string, string> = {
  docker: 'apt-get install docker.io (or Docker Engine from docker.com), then start it: systemctl start docker',
  kind: 'go install sigs.k8s.io/kind@v0.32.0, or the release binary from https://kind.sigs.k8s.io/docs/user/quick-start/#installation',
  kubectl: 'apt-get install kubernetes-client (Debian), or https://kubernetes.io/docs/tasks/tools/#kubectl',
  istioctl: 'curl -L https://istio.io/downloadIstio | ISTIO_VERSION=<version> sh -, then put istio-<version>/bin on PATH (or install helm and use --installer helm)',
  helm: 'https://helm.sh/docs/intro/install/',
  openssl: 'apt-get install openssl (it makes the shared root CA of a multi-cluster mesh)',
};

export interface KindPrerequisites {
  missing: { what: string; how: string }[];
}

/** `multiCluster`: several clusters in one mesh also need openssl for their shared root CA. */
export async function checkKindPrerequisites(exec: Executor, installer: 'istioctl' | 'helm', multiCluster = false): Promise<KindPrerequisites> {
  const missing: { what: string; how: string }[] = [];
  for (const binary of ['docker', 'kind', 'kubectl', installer, ...(multiCluster ? ['openssl'] : [])]) {
    if (!which(binary)) missing.push({ what: binary, how: HOW[binary]! });
  }
  if (which('docker')) {
    const reachable = await exec.run(['docker', 'info', '--format', '{{.ServerVersion}}'], { timeoutMs: 10_000 }).then(() => true, () => false);
    if (!reachable) missing.push({ what: 'a running Docker engine (docker info failed)', how: 'start it: systemctl start docker (or dockerd &), and check you may use /var/run/docker.sock' });
  }
  return { missing };
}

export function prerequisitesError(p: KindPrerequisites): EnvironmentError {
  return new EnvironmentError(
    `--provider kind is missing: ${p.missing.map((m) => m.what).join(', ')}`,
    `${p.missing.map((m) => `${m.what}: ${m.how}`).join('\n  → ')}\n  → or see the whole plan without any of them: --dry-run`,
  );
}
