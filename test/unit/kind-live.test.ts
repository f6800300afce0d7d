import { describe, expect, it } from 'vitest';
import { printKindPlan } from '../../harness/cli/kind-run.js';
import { systemClock, type Clock } from '../../harness/core/clock.js';
import { assertionsFor, parseExperiment } from '../../harness/core/experiment.js';
import { analyseControlPlane } from '../../harness/analysis/control-plane.js';
import { placementCheck } from '../../harness/analysis/placement.js';
import { DockerCli } from '../../harness/providers/kind/docker-nodes.js';
import { misplacedInfra } from '../../harness/providers/kind/infra.js';
import { renderKindClusters, LABEL_INFRA } from '../../harness/providers/kind/kind-config.js';
import { METALLB_MANIFEST_SHA256, metallbManifestProblem, unsyncedClusters, withRetries } from '../../harness/providers/kind/mesh-install.js';
import { clockOffset, clockOffsetTooLarge, hostCapacityFindings, istioVersionFits, parseIstioVersion } from '../../harness/providers/kind/preflight.js';
import { dockerKeepsAddressOnConnect } from '../../harness/providers/kind/prerequisites.js';
import { parseEpochNanos } from '../../harness/providers/kind/clusters.js';
import { configMapEtcdKey, MemberProbeClient, parseRangeAnswer, serializableRangeBody } from '../../harness/providers/kind/control-plane.js';
import type { ApiServerProbeClient } from '../../harness/probes/apiserver-client.js';
import { recordCountProblem } from '../../harness/providers/kubernetes/records.js';
import type { ProbeRecord } from '../../harness/probes/record.js';
import type { RequestRecord } from '../../harness/traffic/record.js';
import zoneOutage from '../../experiments/zone-outage.js';
import drainListeners from '../../experiments/drain-listeners.js';
import etcdMemberLoss from '../../experiments/etcd-member-loss.js';
import etcdQuorumLoss from '../../experiments/etcd-quorum-loss.js';
import clusterFailover from '../../experiments/cluster-failover.js';

// One test (or more) per finding of kind-live-review.md: each fails without its fix.

const ex = (raw: unknown) => parseExperiment(raw, 'test');

async function plan(raw: unknown): Promise<string> {
  const lines: string[] = [];
  await printKindPlan({ experiment: ex(raw), clock: systemClock, keep: false, istioVersion: '1.30', image: 'img', print: (s) => lines.push(s) });
  return lines.join('\n');
}
const section = (text: string, from: string, to: string) => text.slice(text.indexOf(from), text.indexOf(to, text.indexOf(from)));

describe('#1 etcd kill is a crash', () => {
  it('SIGKILLs etcd and keeps it down while a marker is in the node; the revert removes the marker and continues a stopped restart', async () => {
    const inject = section(await plan(etcdMemberLoss), '## inject', '## revert');
    expect(inject).toContain('touch /root/failover-harness-etcd-down && { pkill -KILL -x etcd;');
    // Kept down: the kubelet restarted a killed etcd in 0.7 s live, and it won the election again.
    const apply = new DockerCli().crashEtcd('n').apply;
    expect(apply).toHaveLength(1);
    expect(apply[0]!.slice(0, 5)).toEqual(['docker', 'exec', 'n', 'sh', '-c']);
    // The kill first, then the loop in the background of the same exec (as a second exec it began up to 1 s later).
    // Restarts are stopped, not killed again: each kill counted as a crash, and the kubelet's crash-loop back-off then
    // held etcd down long after the revert (48 s live for two members).
    expect(apply[0]![5]).toBe(
      'touch /root/failover-harness-etcd-down && { pkill -KILL -x etcd; ( touch /root/failover-harness-etcd-down.loop; while [ -f /root/failover-harness-etcd-down ]; do pkill -STOP -x etcd; sleep 0.02; done; rm -f /root/failover-harness-etcd-down.loop ) </dev/null >/dev/null 2>&1 & }',
    );
    // Not the manifest: parking it made the kubelet call its own API server (whose etcd was down) for a minute.
    expect(inject).not.toContain('/etc/kubernetes/manifests/etcd.yaml');
    // The revert: the marker goes, the loop ends, and the stopped etcd continues. Not a kubelet restart: on a
    // control-plane node it waited 60 s for its own API server, whose etcd was the one down.
    const revert = new DockerCli().crashEtcd('n').revert;
    expect(revert.slice(0, 5)).toEqual(['docker', 'exec', 'n', 'sh', '-c']);
    expect(revert[5]).toMatch(/^rm \/root\/failover-harness-etcd-down && \{ i=0; while \[ -f \/root\/failover-harness-etcd-down\.loop \] .*; pkill -CONT -x etcd \|\| true; \}$/);
    expect(revert[5]).not.toContain('kubelet');
  });

  it('the revert waits until the member serves again', async () => {
    const wait = section(await plan(etcdMemberLoss), '# wait until back', '## collect records');
    expect(wait).toMatch(/etcd etcd-a: GET \/metrics .* at https:\/\/<fh-c1-control-plane address>:2379 from this host/);
  });
});

describe('#2 and #7 the control-plane probe measures etcd, not the load balancer or the watch cache', () => {
  it('probes each API server directly and reads serializably from each member with kubeadm certificates', async () => {
    const p = await plan(etcdQuorumLoss);
    expect(p).toContain("through that member's own API server (https://<node address>:6443, not kind's load balancer)");
    const reads = p.split('\n').filter((l) => l.includes('/v3/kv/range'));
    expect(reads.map((l) => /<([^ ]+) address>/.exec(l)?.[1])).toEqual(['fh-c1-control-plane', 'fh-c1-control-plane2', 'fh-c1-control-plane3']);
    // From the host, not a `docker exec` per read (fifteen runc execs a second loaded a two-core machine live).
    for (const l of reads) expect(l).toMatch(/from this host \(kubeadm's \/etc\/kubernetes\/pki\/etcd\/healthcheck-client\.crt/);
    expect(reads.join('\n')).not.toContain('docker exec');
    expect(p).not.toContain('resourceVersion=0');
  });

  it('checks that each API server is reachable from the host before probing it (Docker Desktop does not route the kind network)', async () => {
    const { createServer } = await import('node:net');
    const { reachable } = await import('../../harness/providers/kind/control-plane.js');
    const server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    expect(await reachable('127.0.0.1', port, 1000)).toBe(true);
    await new Promise((r) => server.close(r));
    expect(await reachable('127.0.0.1', port, 1000)).toBe(false);
  });

  it('serializable reads are Range requests with serializable=true for the ConfigMap key the API server stores', () => {
    const body = JSON.parse(serializableRangeBody(configMapEtcdKey('ns', 'cm'))) as { key: string; serializable: boolean };
    expect(Buffer.from(body.key, 'base64').toString()).toBe('/registry/configmaps/ns/cm');
    expect(body.serializable).toBe(true);
    expect(parseRangeAnswer('{"header":{"revision":"3"},"kvs":[{"key":"x"}],"count":"1"}')).toEqual({ found: true });
    expect(parseRangeAnswer('{"header":{"revision":"3"}}')).toEqual({ found: false });
    expect(() => parseRangeAnswer('{"error":"etcdserver: no leader"}')).toThrow(/not an etcd range answer/);
  });

  it('headline figures leave out the streams whose own member was taken, and keep every stream apart', () => {
    const windows = { baselineStart: 0, faultStart: 1000, injectedAt: 1000, recoveryStart: 5000, revertedAt: 5000, end: 7000 };
    const writes: ProbeRecord[] = [];
    for (let t = 0; t < 7000; t += 250) {
      // a's member is killed at 1 s: its API server fails every write until the revert.
      writes.push({ probe: 'write', sentAt: t, latencyMs: 5, ok: !(t >= 1000 && t < 5000), error: null, member: 'a', key: `a${t}`, endpoint: 'a' });
      // b's writes pause for 1.5 s while a new leader is elected.
      writes.push({ probe: 'write', sentAt: t, latencyMs: 5, ok: !(t >= 1000 && t < 2500), error: null, member: 'b', key: `b${t}`, endpoint: 'b' });
      writes.push({ probe: 'write', sentAt: t, latencyMs: 5, ok: !(t >= 1000 && t < 2000), error: null, member: 'c', key: `c${t}`, endpoint: 'c' });
    }
    const topology = ex(etcdMemberLoss).topology;
    const r = analyseControlPlane({ members: ['a', 'b', 'c'], probes: writes, statuses: [], windows, lostMembers: ['a'], probeIntervalMs: 250, probeTimeoutMs: 2000, placement: placementCheck(topology, []), verification: null });
    expect(r.endpoints!.map((e) => [e.endpoint, e.memberLost, e.inHeadline])).toEqual([['a', true, false], ['b', false, true], ['c', false, true]]);
    // The worst of the surviving API servers: b's 1.5 s pause (from its last ack before the fault to its first after), not a's 4 s.
    expect(r.writeUnavailableMs).toBe(1750);
    expect(r.endpoints![0]!.writeUnavailableMs).toBe(4250);
    expect(r.phases.fault.writes.failed).toBe(6 + 4);
  });
});

describe('serializable reads on kind', () => {
  it('have the probe\'s whole budget, as writes and quorum reads do (a starved survivor answered in 1.3 s live)', async () => {
    const given: number[] = [];
    const api = { read: async () => ({ ok: true, member: 'm', error: null }) } as unknown as ApiServerProbeClient;
    const client = new MemberProbeClient(api, async (_key, timeoutMs) => {
      given.push(timeoutMs);
      return { ok: true, member: 'm', error: null };
    });
    await client.read('/k', true, 2000, 1000);
    expect(given).toEqual([2000]);
  });
});

describe('#3 and #4 drain-listeners drains at the echo, reversibly', () => {
  it('drains and restores through the echo admin endpoint, never Envoy listeners or a pod delete, and waits for Ready', async () => {
    const p = await plan(drainListeners);
    const inject = section(p, '## inject', '## revert');
    expect(inject).toMatch(/exec echo-tianjin-svc-1-\S+ -c echo -- node -e .*127\.0\.0\.1:9080\/drain/);
    expect(p).not.toContain('drain_listeners');
    expect(p).not.toMatch(/delete pod/);
    const revert = section(p, '## revert', '## collect records');
    expect(revert).toMatch(/127\.0\.0\.1:9080\/restore/);
    expect(revert).toMatch(/wait --for=condition=Ready pod\/echo-tianjin-svc-/);
  });

  it('dry-run pods are named from the topology: only the drained subzone\'s instance', async () => {
    const inject = section(await plan(drainListeners), '## inject', '## revert');
    expect(inject).toContain("-l 'app=echo,failover-harness.io/instance in (tianjin-svc-1)'");
    expect(inject).not.toContain('echo-example');
    expect(inject).not.toContain('beijing');
  });
});

describe('#5 node faults keep the node address and are awaited', () => {
  it('isolate reconnects with the recorded address; stop/start is followed by node and pod readiness', async () => {
    const isolate = await plan({ ...zoneOutage, faults: [{ kind: 'zone-outage', zone: 'zone-a', mode: 'isolate' }] });
    const inject = section(isolate, '## inject', '## revert');
    const ip = /\{\{\.IPAddress\}\}\{\{end\}\}' fh-c1-worker\n/.test(inject);
    expect(ip).toBe(true);
    expect(section(isolate, '## revert', '# wait')).toMatch(/docker network connect --ip 172\.18\.0\.\d+ kind fh-c1-worker\n/);
    const kill = await plan(zoneOutage);
    const back = section(kill, '## revert', '## collect records');
    expect(back.indexOf('docker start fh-c1-worker')).toBeLessThan(back.indexOf('NetworkSettings'));
    // Back as the API server says after the revert (kind-review-2 N1), not a stale Ready.
    expect(back).toContain('-n kube-node-lease get leases -o json');
    expect(back).toContain("-n chaos get pods -l 'app=echo,failover-harness.io/instance in (svc-a-1,svc-a-2)' -o json");
  });

  it('kind failback budgets are stated by the experiment and replace the local ones on kind only', () => {
    const e = ex(zoneOutage);
    const failback = (p: string) => assertionsFor(e, p).filter((a) => a.metricPath === 'failback.timeMs').map((a) => a.source);
    expect(failback('local')).toEqual(['client(client-a).failback.timeMs < 10s']);
    expect(failback('kind')).toEqual(['client(client-a).failback.timeMs < 120s']);
    expect(assertionsFor(e, 'kind')).toHaveLength(e.assertions.length);
    expect(() => ex({ ...zoneOutage, providerAssertions: { kind: ['client(nobody).failback.timeMs < 1s'] } })).toThrow(/providerAssertions\.kind\[0\]: unknown client "nobody"/);
  });

  it('restarts go lowest old address first', async () => {
    const { compareAddresses } = await import('../../harness/providers/kind/docker-nodes.js');
    expect(['172.18.0.10', '172.18.0.9', undefined, '172.18.0.100'].sort(compareAddresses)).toEqual(['172.18.0.9', '172.18.0.10', '172.18.0.100', undefined]);
  });

  it('Docker reconnects with an address on kind\'s network except in 29.0.x (kind-review-2 N8)', () => {
    expect(['29.0.0', '29.0.4'].map(dockerKeepsAddressOnConnect)).toEqual([false, false]);
    expect(['28.5.2', '20.10.24', '29.1.0', '29.2.1', '30.0.0'].map(dockerKeepsAddressOnConnect)).toEqual([true, true, true, true, true]);
  });
});

describe('#6 MetalLB: local pinned manifest, retried', () => {
  it('a missing or altered manifest is named with the command that fetches and checks it', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'fh-metallb-'));
    expect(metallbManifestProblem(join(dir, 'none.yaml'))).toMatch(/not at/);
    writeFileSync(join(dir, 'm.yaml'), 'kind: Namespace\n');
    expect(metallbManifestProblem(join(dir, 'm.yaml'))).toContain(`not MetalLB v0.14.9's ${METALLB_MANIFEST_SHA256}`);
    rmSync(dir, { recursive: true });
  });

  it('retries a failing step with back-off, then gives up with its error', async () => {
    const slept: number[] = [];
    const clock: Clock = { now: () => 0, sleep: async (ms: number) => void slept.push(ms) };
    let calls = 0;
    const ok = await withRetries('x', clock, 6, 5000, async () => {
      if (++calls < 3) throw new Error('no matching resources found');
      return 'done';
    });
    expect([ok, calls, slept]).toEqual(['done', 3, [5000, 10000]]);
    await expect(withRetries('x', clock, 2, 10, async () => Promise.reject(new Error('webhook not serving')))).rejects.toThrow('webhook not serving');
  });

  it('MetalLB is applied from the local copy, pinned to the infra node, then pooled', async () => {
    const p = await plan(clusterFailover);
    expect(p).toMatch(/kubectl --context kind-fh-east apply -f \S+metallb-native-v0\.14\.9\.yaml/);
    expect(p).toContain('-n metallb-system patch daemonset speaker --type strategic');
  });
});

describe('#8 readiness gate before traffic; #9 records never from logs', () => {
  it('waits for every client pod Ready, copies records out of the pod, and checks the Job completed', async () => {
    const p = await plan(zoneOutage);
    for (const c of ['client-a', 'client-b', 'client-c']) expect(p).toContain(`wait --for=condition=Ready pod -l failover-harness.io/client=${c}`);
    expect(p).not.toContain('kubectl logs');
    expect(p).not.toMatch(/ logs /);
    const collect = section(p, '## collect records', '## teardown');
    expect(collect).toContain('exec job/traffic-client-a -c records -- cat /records/client-a.ndjson');
    expect(collect).toContain('wait --for=condition=complete job/traffic-client-a');
    // Every driver is told to stop before any records are copied.
    expect(collect.lastIndexOf('touch /records/stop')).toBeLessThan(collect.indexOf('cat /records/summary.json'));
  });

  it('a copy is checked against the driver\'s own count', () => {
    const rec = (error: RequestRecord['error'] = null): RequestRecord => ({ client: 'c', sentAt: 0, latencyMs: 1, status: 200, error, instance: 'i', cluster: 'c', region: 'r', zone: 'z', subzone: null });
    expect(recordCountProblem('{"sent":2,"recorded":2}', [rec(), rec()], false)).toBeNull();
    expect(recordCountProblem('{"sent":3,"recorded":3}', [rec(), rec()], false)).toBe('copied 2 records, the driver wrote 3');
    expect(recordCountProblem('{"sent":3,"recorded":2}', [rec(), rec()], false)).toMatch(/scheduled 3 requests but recorded 2/);
    expect(recordCountProblem('{"sent":1,"scheduled":2,"recorded":2}', [rec(), rec('driver-overload')], false)).toBeNull();
    expect(recordCountProblem('{"metrics":{"http_reqs":{"count":1}}}', [rec(), rec('driver-overload')], true)).toBeNull();
    expect(recordCountProblem('{"metrics":{"http_reqs":{"values":{"count":2}}}}', [rec()], true)).toBe('copied 1 request records, k6 counted 2 requests');
    expect(recordCountProblem('not json', [], false)).toMatch(/not JSON/);
  });

  it('multi-cluster: waits for each istiod to have synced the other cluster', () => {
    const table = ['NAME     SECRET                                   STATUS     ISTIOD', 'east                                              synced     istiod-7d9', 'west     istio-system/istio-remote-secret-west    syncing    istiod-7d9'].join('\n');
    expect(unsyncedClusters(table, ['west'])).toEqual(['west']);
    expect(unsyncedClusters(table.replace('syncing', 'synced '), ['west'])).toEqual([]);
    expect(unsyncedClusters('', ['west'])).toEqual(['west']);
  });
});

describe('#10 clock offset', () => {
  it('takes the tightest bracket and refuses above 50 ms beyond its uncertainty', () => {
    const o = clockOffset([
      { hostBeforeMs: 1000, nodeMs: 1090, hostAfterMs: 1040 },
      { hostBeforeMs: 2000, nodeMs: 2064, hostAfterMs: 2008 },
    ]);
    expect(o).toEqual({ offsetMs: 60, uncertaintyMs: 4 });
    expect(clockOffsetTooLarge(o)).toBe(true);
    expect(clockOffsetTooLarge({ offsetMs: -52, uncertaintyMs: 5 })).toBe(false);
    expect(parseEpochNanos('1795000000123456789')).toBeCloseTo(1795000000123.4568, 2);
    expect(() => parseEpochNanos('Mon Nov 23')).toThrow(/not an epoch/);
  });
});

describe('#11 istioctl version', () => {
  it('reads "client version: x.y.z" and accepts any patch of the pinned minor', () => {
    expect(parseIstioVersion('client version: 1.30.3\n')).toBe('1.30.3');
    expect(parseIstioVersion('1.30.3-distroless')).toBe('1.30.3');
    expect(parseIstioVersion('')).toBeNull();
    expect(istioVersionFits('1.30.3', '1.30')).toBe(true);
    expect(istioVersionFits('1.30.3', '1.30.0')).toBe(true);
    expect(istioVersionFits('1.31.0', '1.30')).toBe(false);
  });
});

describe('#11 istioctl version, before any cluster is made', () => {
  it.each([
    ['client version: 1.31.0', /istioctl 1\.30\.x \(installed: 1\.31\.0\)/, undefined],
    ['client version: 1.30.3', null, '1.30.3'],
  ])('an installed istioctl printing "%s"', async (printed, problem, installed) => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { realExecutor } = await import('../../harness/exec/index.js');
    const { checkKindPrerequisites } = await import('../../harness/providers/kind/prerequisites.js');
    const dir = mkdtempSync(join(tmpdir(), 'fh-istioctl-'));
    writeFileSync(join(dir, 'istioctl'), `#!/bin/sh\necho "${printed}"\n`, { mode: 0o755 });
    const path = process.env.PATH;
    process.env.PATH = `${dir}:${path}`;
    try {
      const r = await checkKindPrerequisites(realExecutor, { multiCluster: false, istioVersion: '1.30', isolate: false, controlPlaneNodes: 1, workerNodes: 1 });
      const istio = r.missing.filter((m) => m.what.includes('istioctl'));
      if (problem) expect(istio.map((m) => m.what)).toEqual([expect.stringMatching(problem)]);
      else expect(istio).toEqual([]);
      expect(r.istioVersion).toBe(installed);
    } finally {
      process.env.PATH = path;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('#12 host preflight', () => {
  it('names short inotify limits and memory with the lines that fix them', () => {
    const f = hostCapacityFindings({ maxUserWatches: 8192, maxUserInstances: 128, dockerMemoryBytes: 4 * 2 ** 30, controlPlaneNodes: 3, workerNodes: 12 });
    expect(f.map((x) => x.how)).toEqual(['sudo sysctl fs.inotify.max_user_watches=524288', 'sudo sysctl fs.inotify.max_user_instances=512', expect.stringContaining('more memory')]);
    expect(hostCapacityFindings({ maxUserWatches: 524288, maxUserInstances: 512, dockerMemoryBytes: 32 * 2 ** 30, controlPlaneNodes: 3, workerNodes: 12 })).toEqual([]);
  });
});

describe('timelines on kind', () => {
  it('the dry run walks the same timeline: each injection injected and reverted at its planned time', async () => {
    const flapping = (await import('../../experiments/flapping-instance.js')).default;
    const p = await plan(flapping);
    expect(p.match(/^## (inject|revert) kill-instance at [\d.]+s.*$/gm)).toEqual([
      '## inject kill-instance at 1s of the fault phase',
      '## revert kill-instance at 2s of the fault phase',
      '## inject kill-instance at 5s of the fault phase (repeat 2)',
      '## revert kill-instance at 6s of the fault phase (repeat 2)',
      '## inject kill-instance at 9s of the fault phase (repeat 3)',
      '## revert kill-instance at 10s of the fault phase (repeat 3)',
    ]);
  });

  it('capacity reaches the echo pods on kind', async () => {
    const { echoDeployments } = await import('../../harness/providers/kubernetes/manifests.js');
    const headroom = (await import('../../experiments/capacity-headroom.js')).default;
    const [d] = echoDeployments(ex(headroom), 'c1', 'img');
    expect((d!.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!.args).toEqual(expect.arrayContaining(['--capacity', '15', '--overflow', 'shed']));
  });
});

describe('#13 docs and dry-run tell the truth', () => {
  it('the report and plan say partitions are iptables in the nodes and drains are at the echo', async () => {
    const p = await plan({ ...zoneOutage, faults: [{ kind: 'partition', between: ['zone-a', 'zone-b'] }] });
    expect(section(p, '## inject', '## revert')).toMatch(/docker exec fh-c1-worker iptables -N FH-PARTITION/);
  });
});

describe('#14 infrastructure off faulted nodes', () => {
  it('a cluster without members keeps infra on its control-plane node; one with members gets an infra worker', () => {
    const [plain] = renderKindClusters(ex(zoneOutage).topology);
    expect(plain!.mapping.infraNode).toBe('fh-c1-control-plane');
    expect(plain!.config.nodes[0]!.labels?.[LABEL_INFRA]).toBe('true');
    const [ha] = renderKindClusters(ex(etcdMemberLoss).topology);
    expect(Object.values(ha!.mapping.containerOf)).not.toContain(ha!.mapping.infraNode);
    expect(ha!.config.nodes.filter((n) => n.labels?.[LABEL_INFRA]).length).toBe(1);
    expect(ha!.config.nodes.filter((n) => n.labels?.[LABEL_INFRA])[0]!.role).toBe('worker');
  });

  it('istiod and CoreDNS are pinned, then placement is checked', async () => {
    const p = await plan(etcdMemberLoss);
    // One cluster: no MetalLB and no gateways are installed, and the banner does not claim them.
    expect(p).toMatch(/# fh-c1: infrastructure \(istiod, CoreDNS\) pinned to fh-c1-worker\d/);
    expect(p).not.toMatch(/metallb/i);
    expect(p).toMatch(/pilot:\n#\s+k8s:\n#\s+nodeSelector:\n#\s+failover-harness.io\/infra: "true"/);
    expect(p).toContain('-n kube-system patch deployment coredns');
    expect(p.indexOf('get pods -A -o json')).toBeLessThan(p.indexOf('## traffic'));
  });

  it('finds infrastructure pods off the infra node, but not DaemonSet or static pods', () => {
    const pod = (ns: string, name: string, node: string, extra: Record<string, unknown> = {}) => ({ metadata: { namespace: ns, name, ...extra }, spec: { nodeName: node } });
    const list = JSON.stringify({
      items: [
        pod('istio-system', 'istiod-1', 'infra'),
        pod('kube-system', 'coredns-1', 'w1'),
        pod('kube-system', 'kube-proxy-x', 'w1', { ownerReferences: [{ kind: 'DaemonSet' }] }),
        pod('kube-system', 'etcd-cp2', 'cp2', { annotations: { 'kubernetes.io/config.mirror': 'abc' } }),
        pod('chaos', 'echo-1', 'w1'),
        pod('metallb-system', 'controller-1', 'w2'),
      ],
    });
    expect(misplacedInfra(list, 'infra')).toEqual(['kube-system/coredns-1 on w1', 'metallb-system/controller-1 on w2']);
    expect(misplacedInfra('', 'infra')).toEqual([]);
  });
});
