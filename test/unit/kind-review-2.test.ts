import { describe, expect, it } from 'vitest';
import { printKindPlan } from '../../harness/cli/kind-run.js';
import { systemClock } from '../../harness/core/clock.js';
import { parseExperiment } from '../../harness/core/experiment.js';
import type { Mesh } from '../../harness/mesh/choice.js';
import { nodesBack, parseNodeViews, parsePodViews, podsBack, type PodView } from '../../harness/providers/kind/node-back.js';
import { echoAdminArgs } from '../../harness/providers/kubernetes/echo-admin.js';
import { echoDeployments } from '../../harness/providers/kubernetes/manifests.js';
import { loadFromState } from '../../harness/workloads/capacity.js';
import grayInstance from '../../experiments/gray-instance.js';
import zoneOutage from '../../experiments/zone-outage.js';

// One test (or more) per finding of kind-review-2.md: each fails without its fix.

const ex = (raw: unknown) => parseExperiment(raw, 'test');

async function plan(raw: unknown, mesh: Mesh = 'istio'): Promise<string> {
  const lines: string[] = [];
  await printKindPlan({ experiment: ex(raw), clock: systemClock, keep: false, istioVersion: '1.30', image: 'img', mesh, print: (s) => lines.push(s) });
  return lines.join('\n');
}

describe('N1: a node is back when it says so after the revert, not on a stale Ready', () => {
  const revertedAt = Date.parse('2026-12-05T12:00:10Z');
  const lease = (renewTime: string) => ({ items: [{ metadata: { name: 'fh-c1-worker' }, spec: { renewTime } }] });
  const nodes = { items: [{ metadata: { name: 'fh-c1-worker' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }] };

  it('Ready=True with the Lease last renewed before the revert (the stale view a short fault leaves) is not back', () => {
    const stale = parseNodeViews(lease('2026-12-05T12:00:05.000000Z'), nodes);
    expect(stale[0]).toMatchObject({ ready: true });
    expect(nodesBack(stale, ['fh-c1-worker'], revertedAt)).toBe(false);
    expect(nodesBack(parseNodeViews(lease('2026-12-05T12:00:31.250000Z'), nodes), ['fh-c1-worker'], revertedAt)).toBe(true);
  });

  it('after a stop, Ready pods whose echo container has not restarted are not back; after a pause they are', () => {
    const pods = (restartCount: number, uid = 'u1', ready = true) => parsePodViews({ items: [{ metadata: { name: 'echo-svc-a-1-x', uid, labels: { 'failover-harness.io/instance': 'svc-a-1' } }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], containerStatuses: [{ name: 'echo', restartCount }] } }] }, 'failover-harness.io/instance');
    const before: PodView[] = pods(0);
    expect(podsBack(before, pods(0), ['svc-a-1'], true)).toBe(false);
    expect(podsBack(before, pods(1, 'u1', false), ['svc-a-1'], true)).toBe(false);
    expect(podsBack(before, pods(1), ['svc-a-1'], true)).toBe(true);
    expect(podsBack(before, pods(0, 'u2'), ['svc-a-1'], true)).toBe(true);
    expect(podsBack(before, pods(0), ['svc-a-1'], false)).toBe(true);
  });

  it('the plan waits on the Lease, the nodes and the echo pods, not on `kubectl wait --for=condition=Ready`', async () => {
    const p = await plan(zoneOutage, 'none');
    const back = p.slice(p.indexOf('# wait until back'));
    expect(back).toContain('-n kube-node-lease get leases -o json');
    expect(back).toContain("get pods -l 'app=echo,failover-harness.io/instance in (svc-a-1,svc-a-2)' -o json");
    expect(back.slice(0, back.indexOf('## ', 3))).not.toContain('--for=condition=Ready');
  });
});

describe('N2: a fault aimed at an instance touches exactly that instance', () => {
  it('one single-replica Deployment per instance, labelled with it; the echo says it is the topology instance', () => {
    const deployments = echoDeployments(ex(zoneOutage), 'c1', 'img') as { metadata: { name: string; labels: Record<string, string> }; spec: { replicas: number; template: { spec: { containers: { args: string[] }[] } } } }[];
    expect(deployments.map((d) => d.metadata.name)).toEqual(['echo-svc-a-1', 'echo-svc-a-2', 'echo-svc-b-1', 'echo-svc-b-2', 'echo-svc-c-1', 'echo-svc-c-2']);
    expect(deployments.every((d) => d.spec.replicas === 1)).toBe(true);
    expect(deployments[0]!.metadata.labels['failover-harness.io/instance']).toBe('svc-a-1');
    expect(deployments[0]!.spec.template.spec.containers[0]!.args.join(' ')).toContain('"instance":"svc-a-1"');
  });

  it('the gray-instance plan sends its fault to one pod only', async () => {
    const p = await plan(grayInstance);
    const fails = p.split('\n').filter((l) => l.includes(' exec ') && l.includes('/fail?'));
    expect(fails).toHaveLength(1);
    expect(fails[0]).toMatch(/exec echo-svc-a-1-/);
  });
});

describe('N7: faults through the echo admin without tsx; an unreadable state is an error', () => {
  it('one plain node call per admin action', () => {
    const argv = echoAdminArgs('chaos', 'echo-svc-a-1-x', 'fail', 'status=503&ratio=1');
    expect(argv.slice(0, 8)).toEqual(['-n', 'chaos', 'exec', 'echo-svc-a-1-x', '-c', 'echo', '--', 'node']);
    expect(argv).not.toContain('tsx');
    expect(argv.join(' ')).toContain('http://127.0.0.1:9080/fail?status=503&ratio=1');
  });
  it('a state that did not answer never reads as 0 shed', () => {
    expect(() => loadFromState('svc-a-1', 10, null)).toThrow(/could not read the load counters of svc-a-1/);
    expect(loadFromState('svc-a-1', 10, { served: 5, shed: 2, maxQueueMs: 0 })).toMatchObject({ served: 5, shed: 2 });
  });
});

describe('N3: a kept cluster carries the mesh it was made for', () => {
  it('the mesh, its version and mode are part of the config hash: another mesh never reuses the cluster', async () => {
    const { renderKindClusters } = await import('../../harness/providers/kind/kind-config.js');
    const { meshIdentity } = await import('../../harness/providers/kind/provider.js');
    const t = ex(zoneOutage).topology;
    const hash = (id: string) => renderKindClusters(t, undefined, id)[0]!.hash;
    const istio = meshIdentity({ mesh: 'istio', istioVersion: '1.30.3' });
    expect(istio).toBe('istio 1.30');
    expect(meshIdentity({ mesh: 'istio', istioVersion: '1.30.0' })).toBe(istio);
    expect(new Set([hash(istio), hash('none'), hash(meshIdentity({ mesh: 'linkerd', istioVersion: '1.30' })), hash(meshIdentity({ mesh: 'linkerd', istioVersion: '1.30', linkerdMode: 'failover-extension' }))]).size).toBe(4);
    expect(hash('none')).toBe(hash('none'));
  });
  it('a kept Linkerd identity lives in one folder per set of clusters, outside the report', async () => {
    const { keptIdentityDir } = await import('../../harness/providers/kind/linkerd-install.js');
    const dir = keptIdentityDir([{ name: 'fh-east', hash: 'aaa' }, { name: 'fh-west', hash: 'bbb' }]);
    expect(dir).toMatch(/\.cache\/failover-harness\/linkerd-identity\/fh-east-aaa\+fh-west-bbb$/);
  });
});

describe('N6: Linkerd identity without OpenSSL-3-only flags; LibreSSL refused up front', () => {
  it('signs the issuer with -extfile, not -copy_extensions', async () => {
    const { issuerArgv } = await import('../../harness/providers/kind/linkerd-ca.js');
    const { sign } = issuerArgv('/d', 'east');
    expect(sign).not.toContain('-copy_extensions');
    expect(sign).toEqual(expect.arrayContaining(['-extfile', '/d/east/issuer.ext']));
  });
  it('OpenSSL 1.1.1 and 3 fit; LibreSSL and 1.1.0 do not', async () => {
    const { opensslFits, parseOpensslVersion } = await import('../../harness/providers/kind/prerequisites.js');
    const fits = (s: string) => opensslFits(parseOpensslVersion(s)!);
    expect(['OpenSSL 3.0.13 30 Jan 2024 (Library: OpenSSL 3.0.13 30 Jan 2024)', 'OpenSSL 1.1.1w  11 Sep 2023'].map(fits)).toEqual([true, true]);
    expect(['LibreSSL 3.3.6', 'OpenSSL 1.1.0l  10 Sep 2019'].map(fits)).toEqual([false, false]);
  });
});

describe('N9: no heartbeat CronJob; finished pods never fail the placement check', () => {
  it('linkerd install disables the heartbeat', async () => {
    const p = await plan(zoneOutage, 'linkerd');
    expect(p).toMatch(/linkerd --context kind-fh-c1 install .*--set disableHeartBeat=true/);
  });
  it('a Failed or Succeeded pod on a worker is not misplaced infrastructure', async () => {
    const { misplacedInfra } = await import('../../harness/providers/kind/infra.js');
    const pod = (name: string, phase: string) => ({ metadata: { name, namespace: 'linkerd' }, spec: { nodeName: 'fh-c1-worker' }, status: { phase } });
    expect(misplacedInfra(JSON.stringify({ items: [pod('linkerd-heartbeat-1', 'Failed'), pod('job-2', 'Succeeded'), pod('linkerd-destination-x', 'Running')] }), 'fh-c1-worker3')).toEqual(['linkerd/linkerd-destination-x on fh-c1-worker']);
  });
});

describe('N10: the failover-extension mode is described as it is', () => {
  it('through gateways, not pod-to-pod', async () => {
    const { describeMesh } = await import('../../harness/mesh/choice.js');
    const text = describeMesh('linkerd', { istio: '1.30', linkerd: 'edge-25.4.4' }, { multiCluster: true, linkerdMode: 'failover-extension' });
    expect(text).toContain('through gateways');
    expect(text).not.toContain('pod-to-pod');
  });
});

describe('N5: no experiment asserts, on any mesh, what that mesh lists as not in force', () => {
  it('every experiment × mesh: no kept base assertion needs outlier detection, or region/subzone preference, where the mesh lacks it', async () => {
    const { readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { EXPERIMENTS_DIR } = await import('../../harness/cli/load-experiment.js');
    const { assertionsFor } = await import('../../harness/core/experiment.js');
    const { dataPlaneShape, policyNotInForce } = await import('../../harness/mesh/choice.js');
    const problems: string[] = [];
    for (const file of readdirSync(EXPERIMENTS_DIR).filter((f) => f.endsWith('.ts'))) {
      const e = ex((await import(join(EXPERIMENTS_DIR, file))).default);
      const multiCluster = new Set(e.topology.nodes.map((n) => n.locality.cluster)).size > 1;
      for (const [mesh, linkerdMode] of [['none', 'federated'], ['linkerd', 'federated'], ['linkerd', 'failover-extension']] as const) {
        const ctx = { multiCluster, linkerdMode };
        const key = dataPlaneShape(mesh, ctx).key;
        const replaced = new Set((e.meshAssertions?.[key]?.replace ?? []).map((a) => a.source));
        const notInForce = policyNotInForce(mesh, e.policy, ctx).join('\n');
        for (const a of assertionsFor(e, 'kind', key).filter((x) => !replaced.has(x.source))) {
          const m = a.metric;
          if (/^outlier detection/m.test(notInForce) && m.type === 'client-time' && m.name === 'ejection') problems.push(`${file} ${key}: ${a.source} needs outlier detection`);
          if (/region and subzone preference/.test(notInForce) && ((m.type === 'served-by' && m.depth === 'subzone') || (m.type === 'locality' && m.name === 'sameSubzone'))) problems.push(`${file} ${key}: ${a.source} needs subzone preference`);
          if (/region and subzone preference/.test(notInForce) && e.topology.regions.length > 1 && m.type === 'served-by' && m.depth === 'region') problems.push(`${file} ${key}: ${a.source} needs region preference`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('the review\'s cases: gray-instance and slow-zone on none, slow-zone and capacity-headroom on Linkerd', async () => {
    const { assertionsFor } = await import('../../harness/core/experiment.js');
    const slowZone = ex((await import('../../experiments/slow-zone.js')).default);
    const capacity = ex((await import('../../experiments/capacity-headroom.js')).default);
    const kept = (e: ReturnType<typeof ex>, mesh: string) => assertionsFor(e, 'kind', mesh).map((a) => a.source);
    expect(kept(ex(grayInstance), 'none')).not.toEqual(expect.arrayContaining(['client(client-a).ejection.timeMs < 1s']));
    expect(kept(ex(grayInstance), 'none').filter((s) => /client\(client-a\)\.(fault\.failed|recovery\.timeMs|ejection)/.test(s))).toEqual([]);
    for (const mesh of ['none', 'linkerd']) {
      expect(kept(slowZone, mesh).filter((s) => /client\(client-a\)\.(ejection|recovery\.timeMs|fault\.servedBy|fault\.latency)/.test(s)), mesh).toEqual([]);
      expect(kept(capacity, mesh).filter((s) => /capacity\.|client\(client-a\)\.recovery/.test(s)), mesh).toEqual([]);
      // Untouched clients stay held to their own figures.
      expect(kept(slowZone, mesh)).toContain('client(client-b).fault.errorRate == 0');
    }
    expect(kept(slowZone, 'istio')).toContain('client(client-a).ejection.timeMs < 2s');
  });
});

describe('N11: the nightly covers multi-cluster and a gray fault', () => {
  it('cluster-failover on istio and linkerd and gray-instance on istio are cells, MetalLB fetched for the Istio multi-cluster cell', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const wf = parse(readFileSync(new URL('../../.github/workflows/nightly-kind.yml', import.meta.url), 'utf8')) as { jobs: Record<string, { strategy?: { matrix?: { include?: { experiment: string; mesh: string }[] } }; steps?: { name?: string; if?: string }[] }> };
    const job = Object.values(wf.jobs).find((j) => j.strategy?.matrix?.include)!;
    expect(job.strategy!.matrix!.include).toEqual(expect.arrayContaining([{ experiment: 'cluster-failover', mesh: 'istio' }, { experiment: 'cluster-failover', mesh: 'linkerd' }, { experiment: 'gray-instance', mesh: 'istio' }]));
    expect(job.steps!.some((s) => s.name?.startsWith("MetalLB's manifest") && s.if?.includes("cluster-failover"))).toBe(true);
  });
});

describe('N4: multi-cluster Linkerd where the kind network is not routed to the host', () => {
  it('is refused up front off Linux, with what to do', async () => {
    const { linkerdLinksProblem } = await import('../../harness/providers/kind/prerequisites.js');
    expect(linkerdLinksProblem('darwin', true)?.what).toMatch(/multi-cluster Linkerd on darwin: `linkerd multicluster check` dials/);
    expect(linkerdLinksProblem('win32', true)?.how).toMatch(/run it on Linux/);
    expect(linkerdLinksProblem('linux', true)).toBeNull();
    expect(linkerdLinksProblem('darwin', false)).toBeNull();
  });
});
