import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Clock } from '../../core/clock.js';
import { EnvironmentError } from '../../core/errors.js';
import type { Executor } from '../../exec/index.js';
import type { ResourceScope } from '../../faults/scope.js';
import { Kube } from '../kubernetes/kube.js';
import type { DockerCli } from './docker-nodes.js';
import { kubeContext, LABEL_HASH, type RenderedCluster } from './kind-config.js';
import { clockOffset, clockOffsetTooLarge, MAX_CLOCK_OFFSET_MS, type ClockSample } from './preflight.js';

// What only kind does with clusters: create them (in parallel), reuse one
// whose config hash matches, delete them at teardown unless kept, and check
// that their nodes' clock is the host's.

export interface ClusterLifecycleOptions {
  exec: Executor;
  scope: ResourceScope;
  clock: Clock;
  docker: DockerCli;
  reportDir: string;
  keep: boolean;
  log: (line: string) => void;
  show?: (title: string, body: string) => void;
}

/** Creates (or reuses) every cluster; returns whether any was reused. */
export async function provisionClusters(clusters: readonly RenderedCluster[], o: ClusterLifecycleOptions): Promise<boolean> {
  const { exec, scope, reportDir } = o;
  const { stdout } = await exec.run(['kind', 'get', 'clusters'], { context: 'list kind clusters' });
  const existing = new Set(stdout.split('\n').filter(Boolean));
  let reused = false;
  await Promise.all(
    clusters.map(async (c) => {
      const file = join(reportDir, 'kind', `${c.name}.yaml`);
      const text = stringify(c.config);
      writeFileSync(file, text);
      o.show?.(`kind config ${file}`, text);
      if (existing.has(c.name)) {
        const nodes = await new Kube(exec, kubeContext(c), c.name).run(['get', 'nodes', '-l', `${LABEL_HASH}=${c.hash}`, '-o', 'name'], { context: `inspect ${c.name}` });
        if (nodes.stdout.trim()) {
          o.log(`reusing kind cluster ${c.name} (config hash ${c.hash})`);
          reused = true;
          return;
        }
        o.log(`kind cluster ${c.name} exists with another configuration: recreating it`);
        await exec.run(['kind', 'delete', 'cluster', '--name', c.name], { context: `delete ${c.name}`, timeoutMs: 300_000 });
      }
      o.log(`creating kind cluster ${c.name}: ${c.config.nodes.length} nodes, infrastructure on ${c.mapping.infraNode}`);
      const create = () => exec.run(['kind', 'create', 'cluster', '--name', c.name, '--config', file, '--wait', '180s'], { context: `create kind cluster ${c.name}`, timeoutMs: 600_000 });
      if (o.keep) await create();
      else await scope.acquire({ kind: 'kind-cluster', name: c.name }, create);
    }),
  );
  return reused;
}

/** `date +%s%N` → epoch milliseconds (nanoseconds overflow a double's exact range). */
export function parseEpochNanos(text: string): number {
  const t = text.trim();
  if (!/^\d{10,}$/.test(t)) throw new Error(`not an epoch in nanoseconds: "${t.slice(0, 40)}"`);
  return Number(BigInt(t) / 1000n) / 1000;
}

/**
 * Measures a node's clock against the host's: request send times are stamped
 * inside the nodes, phase windows on the host. On Linux both are one kernel's
 * clock; on Docker Desktop the VM's can drift (after sleep, notably). Refuses
 * above MAX_CLOCK_OFFSET_MS (exit 3); returns the offset for the report.
 */
export async function checkNodeClock(container: string, o: Pick<ClusterLifecycleOptions, 'exec' | 'clock' | 'docker'>, samples = 5): Promise<{ offsetMs: number; uncertaintyMs: number }> {
  const readings: ClockSample[] = [];
  for (let i = 0; i < samples; i++) {
    const hostBeforeMs = o.clock.now();
    const { stdout } = await o.exec.run(o.docker.argv('exec', container, 'date', '+%s%N'), { context: `read the clock of ${container}` });
    readings.push({ hostBeforeMs, nodeMs: parseEpochNanos(stdout), hostAfterMs: o.clock.now() });
  }
  const offset = clockOffset(readings);
  if (clockOffsetTooLarge(offset)) {
    throw new EnvironmentError(
      `the clock of kind node ${container} is ${Math.round(offset.offsetMs)} ms off the host's (±${Math.round(offset.uncertaintyMs)} ms); above ${MAX_CLOCK_OFFSET_MS} ms every phase window would shift by that much`,
      'resynchronise the Docker VM clock (Docker Desktop: restart it, or run `docker run --rm --privileged alpine hwclock -s`), then run again',
    );
  }
  return offset;
}
