import { execa } from 'execa';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDockerd, type TestDocker } from '../helpers/dockerd.js';

// The Docker engine the kind-live suite builds its images in and runs its
// clusters on. Test infrastructure for this project's VMs, never needed on a
// user's machine (a user with Docker and kind runs the same commands):
// - a private dockerd (its own socket; the host's iptables restored after);
// - overlay2 with a data root under the build cache, so the images built
//   from packages survive between runs (a warm run only starts the engine);
// - the runc wrapper: the VM's capability bounding set lacks
//   CAP_SYS_RESOURCE, which every privileged container (kind's nodes) asks for.

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CACHE = process.env.FH_K8S_CACHE ?? '/var/cache/fh-k8s';
export const K8S_VERSION = process.env.K8S_VERSION ?? 'v1.35.4';
export const RUNC_WRAPPER = join(REPO, 'test/kind-live/runc-without-sys-resource');

/** PATH with the cached kind and this Kubernetes version's kubectl first. */
export function toolPath(): string {
  return [join(CACHE, 'bin'), join(CACHE, 'out', `kubernetes-${K8S_VERSION}`), process.env.PATH ?? ''].join(':');
}

async function links(): Promise<Set<string>> {
  const { stdout } = await execa('ip', ['-o', 'link', 'show']);
  return new Set(stdout.split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '').filter(Boolean));
}

export async function startKindEngine(): Promise<TestDocker> {
  const dataRoot = join(CACHE, 'docker');
  mkdirSync(dirname(dataRoot), { recursive: true });
  const before = await links();
  const engine = await startDockerd({ dataRoot, storageDriver: 'overlay2', runtime: RUNC_WRAPPER, defaultBridge: true });
  return {
    ...engine,
    // A stopped dockerd leaves its bridges (docker0, kind's br-…) behind: the links it made go with it.
    stop: async () => {
      await engine.docker('network', 'rm', 'kind').catch(() => undefined);
      await engine.stop();
      for (const link of await links()) if (!before.has(link)) await execa('ip', ['link', 'delete', link], { reject: false });
    },
  };
}

/** Every kind cluster on this engine, deleted (kind removes their containers and, with the last, nothing else). */
export async function deleteClusters(host: string, prefix = 'fh-'): Promise<string[]> {
  const env = { ...process.env, DOCKER_HOST: host, PATH: toolPath() };
  const { stdout } = await execa('kind', ['get', 'clusters'], { env, reject: false });
  const names = stdout.split('\n').filter((n) => n.startsWith(prefix));
  for (const name of names) await execa('kind', ['delete', 'cluster', '--name', name], { env });
  return names;
}
