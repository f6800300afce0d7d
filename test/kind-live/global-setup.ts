import { execa } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { runCli } from '../helpers/cli.js';
import type { TestDocker } from '../helpers/dockerd.js';
import { CACHE, deleteClusters, K8S_VERSION, REPO, startKindEngine, toolPath } from './engine.js';

// The kind-live suite's world, made once: Kubernetes built from the Go module
// proxy (cached by version), a private Docker engine, the images built from
// packages, and the inotify limits kind needs for many nodes. Everything the
// suite changes on the machine is put back in teardown: clusters deleted, the
// engine stopped (its iptables changes restored), the sysctls restored.

declare module 'vitest' {
  export interface ProvidedContext {
    dockerHost: string;
    nodeImage: string;
    toolPath: string;
  }
}

const SYSCTLS = { 'fs.inotify.max_user_watches': 524_288, 'fs.inotify.max_user_instances': 512 } as const;
const sysctlPath = (name: string) => `/proc/sys/${name.replaceAll('.', '/')}`;

let engine: TestDocker | undefined;
const sysctlsBefore = new Map<string, string>();

async function timed<T>(what: string, step: () => Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    return await step();
  } finally {
    console.log(`kind-live: ${what} took ${((Date.now() - start) / 1000).toFixed(1)} s`);
  }
}

export async function setup(project: TestProject): Promise<void> {
  await timed(`build Kubernetes ${K8S_VERSION} (cached under ${CACHE})`, () =>
    execa('bash', [join(REPO, 'scripts/kind-images/build-kubernetes.sh'), 'all'], { stdio: 'inherit', env: { K8S_VERSION, FH_K8S_CACHE: CACHE } }),
  );
  for (const [name, value] of Object.entries(SYSCTLS)) {
    const before = readFileSync(sysctlPath(name), 'utf8').trim();
    sysctlsBefore.set(name, before);
    if (Number(before) < value) writeFileSync(sysctlPath(name), String(value));
  }
  engine = await timed('start the test Docker engine', () => startKindEngine());
  // The harness's commands here (cleanup, the clusters' deletion) talk to this engine with the cached kind and kubectl.
  process.env.DOCKER_HOST = engine.host;
  process.env.PATH = toolPath();
  // A run of an earlier session that died may have left its ledger (a fresh CI machine has none): undone first.
  const cleanup = await runCli([], 'cleanup');
  console.log(`kind-live: cleanup before the suite: ${cleanup.output.trim().split('\n').pop()}`);
  const built = await timed('build the images (kind, node, components, load balancer, node:20-slim)', () =>
    execa('bash', [join(REPO, 'scripts/kind-images/build-images.sh'), 'all'], {
      env: { DOCKER_HOST: engine!.host, FH_K8S_CACHE: CACHE, K8S_VERSION, FH_NODE_RUNC_WRAPPER: join(REPO, 'test/kind-live/node/runc') },
      stderr: 'inherit',
    }),
  );
  const nodeImage = built.stdout.trim().split('\n').pop()!;
  project.provide('dockerHost', engine.host);
  project.provide('nodeImage', nodeImage);
  project.provide('toolPath', toolPath());
}

export async function teardown(): Promise<void> {
  try {
    if (engine) {
      const deleted = await deleteClusters(engine.host);
      if (deleted.length) console.log(`kind-live: deleted clusters ${deleted.join(', ')}`);
    }
  } finally {
    await engine?.stop();
    for (const [name, value] of sysctlsBefore) writeFileSync(sysctlPath(name), value);
  }
}
