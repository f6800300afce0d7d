import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../core/clock.js';
import type { Experiment } from '../core/experiment.js';
import { DryRunExecutor } from '../exec/dry-run.js';
import { Ledger } from '../faults/ledger.js';
import { ResourceScope } from '../faults/scope.js';
import { PROBE_NAMESPACE } from '../probes/apiserver-client.js';
import { KindProvider } from '../providers/kind/provider.js';
import { undoAny } from '../providers/undo.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_ISTIO_VERSION = '1.30.0';
export const DEFAULT_IMAGE = 'failover-harness/echo:dev';

/** Plausible answers for a dry run, so the plan walks every step. */
function dryAnswer(argv: readonly string[]): string {
  const line = argv.join(' ');
  if (line.includes(' get pods ')) return 'pod/echo-example-0\npod/echo-example-1';
  if (line.startsWith('docker') && line.includes('.State.Status')) return 'running';
  if (line.startsWith('docker') && line.includes('network inspect kind')) return '172.18.0.0/16 fc00:f853:ccd:e793::/64';
  if (line.startsWith('docker') && line.includes('.NetworkSettings.Networks')) return '172.18.0.2';
  // Every member says it leads: the first one asked is taken as the leader.
  if (line.includes(' curl ') && line.includes('/metrics')) return 'etcd_server_has_leader 1\netcd_server_is_leader 1\n';
  return '';
}

/**
 * --provider kind --dry-run: every command and manifest of the run, printed in
 * order, by the same provider code a real run uses. Needs no Docker.
 */
export async function printKindPlan(o: { experiment: Experiment; clock: Clock; keep: boolean; istioVersion: string; image: string; print: (s: string) => void }): Promise<number> {
  const { print } = o;
  const exec = new DryRunExecutor(print, dryAnswer);
  const scratch = mkdtempSync(join(tmpdir(), 'fh-dry-run-'));
  const ledger = new Ledger(join(scratch, 'ledger'), 'dryrun');
  const scope = new ResourceScope(ledger, undoAny(exec), o.clock);
  const provider = new KindProvider({
    experiment: o.experiment,
    runId: 'dryrun',
    reportDir: join(scratch, 'report'),
    exec,
    clock: o.clock,
    scope,
    log: (line) => print(`# ${line}`),
    repoRoot: REPO_ROOT,
    keep: o.keep,
    istioVersion: o.istioVersion,
    image: o.image,
    dryRun: true,
    show: (title, body) => print(`# ${title}\n${body.trimEnd().replace(/^/gm, '#   ')}`),
  });
  try {
    const ex = o.experiment;
    const section = (title: string) => print(`\n## ${title}`);
    print(`# dry run: ${ex.name} on kind (${provider.clusters.length} cluster${provider.clusters.length > 1 ? 's' : ''}, Istio ${o.istioVersion}); nothing is executed`);
    section('provision');
    await provider.provision();
    section('deploy');
    await provider.deploy();
    section(`traffic: ${ex.topology.clients.length} clients × ${ex.traffic.rate} req/s`);
    const start = o.clock.now();
    await provider.startTraffic({ startAt: start, maxDurationMs: ex.phases.baseline + ex.phases.fault + ex.phases.recovery + 30_000 });
    if (provider.controlPlane) {
      section(`control-plane probe: ${provider.controlPlane.members.length} etcd members behind the API server of ${provider.controlPlane.context}`);
      provider.controlPlane.startProbes(start);
    }
    print(`# baseline ${ex.phases.baseline} ms`);
    const injected = [];
    for (const spec of ex.faults) {
      section(`inject ${spec.kind}`);
      injected.push(await provider.inject(spec));
    }
    print(`# fault ${ex.phases.fault} ms`);
    section('revert');
    for (const f of injected.reverse()) await f.revert();
    print(`# recovery ${ex.phases.recovery} ms`);
    section('collect records');
    await provider.stopTraffic();
    if (provider.controlPlane) print(`# read back every acknowledged probe write: LIST ${PROBE_NAMESPACE} ConfigMaps by run label (a quorum read), for up to 30 s`);
    section(o.keep ? 'teardown (--keep: clusters stay)' : 'teardown');
    await provider.teardown();
    print(`\n# ${exec.commands.length} commands`);
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
