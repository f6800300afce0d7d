import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../harness/core/clock.js';
import { parseExperiment } from '../../harness/core/experiment.js';
import { realExecutor } from '../../harness/exec/index.js';
import { Ledger } from '../../harness/faults/ledger.js';
import { ResourceScope } from '../../harness/faults/scope.js';
import { configMapEtcdKey, KindControlPlane, parseRangeAnswer } from '../../harness/providers/kind/control-plane.js';
import { EtcdDirect } from '../../harness/providers/kind/etcd-direct.js';
import { firstLeader } from '../../harness/probes/probe-client.js';
import { KindProvider } from '../../harness/providers/kind/provider.js';
import { DockerCli } from '../../harness/providers/kind/docker-nodes.js';
import { renderKindClusters } from '../../harness/providers/kind/kind-config.js';
import { undoAny } from '../../harness/providers/undo.js';
import etcdMemberLoss from '../../experiments/etcd-member-loss.js';
import { engineProcesses, firewallRules, importStandIn, startDockerd, type TestDocker } from '../helpers/dockerd.js';

// The kind control plane's member view on a real Docker engine: three
// stand-in control-plane containers, named as kind names them, each running a
// real etcd member (the host's etcd 3.4, copied in with curl) on plain HTTP
// at the container's address (kubeadm's serve TLS there; the harness reads
// their certificates once). The harness reads leadership from each member's
// /metrics from this host, picks the leader, and sees a paused member go
// silent while the others elect a new leader.

const IMAGE = 'fh-kind-etcd-standin:test';
const NETWORK = 'fh-kind-cp-test';
const SUBNET = '198.19.251';

const experiment = parseExperiment(etcdMemberLoss, 'etcd-member-loss');
const cluster = renderKindClusters(experiment.topology)[0]!;
const members = experiment.topology.members.map((m) => m.name);
const containerOf = (m: string) => cluster.mapping.containerOf[m]!;
const ip = (i: number) => `${SUBNET}.${11 + i}`;
const workers = [...new Set(Object.values(cluster.mapping.containerOf))].filter((c) => c.includes('-worker'));
// The stand-ins serve plain HTTP: no kubeadm certificates to read.
const etcdAccess = (m: string) => ({ url: `http://${ip(members.indexOf(m))}:2379`, tls: null });
const allContainers = () => [...members.map(containerOf), ...workers];

let d: TestDocker;
let stateRoot: string;
let cp: KindControlPlane;
let cpLedger: Ledger;
let iptablesBefore = '';
let enginePidsBefore = new Set<number>();

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  iptablesBefore = await firewallRules();
  enginePidsBefore = new Set((await engineProcesses()).map((p) => p.pid));
  stateRoot = mkdtempSync(join(tmpdir(), 'fh-docker-cp-'));
  d = await startDockerd();
  // procps' pkill and pgrep, as kind's node image has them (busybox-static has neither).
  await importStandIn(d.docker, IMAGE, ['/usr/bin/etcd', '/usr/bin/curl', '/usr/bin/pkill', '/usr/bin/pgrep'], { '/etc/kubernetes/manifests/etcd.yaml': 'kind: Pod\n' });
  await d.docker('network', 'create', '--subnet', `${SUBNET}.0/24`, NETWORK);
  const initial = members.map((m, i) => `${m}=http://${ip(i)}:2380`).join(',');
  for (const [i, m] of members.entries()) {
    const etcd = [
      '/usr/bin/etcd', '--name', m, '--data-dir', '/tmp/etcd',
      '--listen-peer-urls', `http://${ip(i)}:2380`, '--initial-advertise-peer-urls', `http://${ip(i)}:2380`,
      '--listen-client-urls', `http://${ip(i)}:2379`, '--advertise-client-urls', `http://${ip(i)}:2379`,
      '--initial-cluster', initial, '--initial-cluster-state', 'new',
    ].join(' ');
    // A stand-in kubelet: restarts a crashed etcd a second later, as kind's kubelet does (0.7 s live), while its
    // static-pod manifest is in place; logging to a file.
    const kubelet = `while true; do if [ -f /etc/kubernetes/manifests/etcd.yaml ]; then ${etcd} >>/tmp/etcd.log 2>&1; fi; sleep 1; done`;
    await d.docker(
      'run', '-d', '--name', containerOf(m), '--network', NETWORK, '--ip', ip(i),
      '--label', `io.x-k8s.kind.cluster=${cluster.name}`, '--label', 'io.x-k8s.kind.role=control-plane',
      IMAGE, '/bin/busybox', 'sh', '-c', kubelet,
    );
  }
  // The workers (service and client nodes) stand in too: idle, labelled like kind's.
  for (const container of workers) {
    await d.docker('run', '-d', '--name', container, '--network', NETWORK, '--label', `io.x-k8s.kind.cluster=${cluster.name}`, '--label', 'io.x-k8s.kind.role=worker', IMAGE, '/bin/busybox', 'sleep', '3600');
  }
  cpLedger = new Ledger(stateRoot, 'cp');
  cp = new KindControlPlane({
    experiment, clusters: [cluster], runId: 'cp', reportDir: stateRoot, exec: realExecutor, docker: new DockerCli(d.host), clock: systemClock,
    scope: new ResourceScope(cpLedger, undoAny(realExecutor), systemClock), live: true, log: () => undefined, etcdAccess,
  });
}, 240_000);

afterAll(async () => {
  // The engine is stopped whatever happens before; what was left is asserted after.
  let left = { containers: 'not checked', images: 'not checked' };
  try {
    cpLedger?.close();
    if (d) {
      await d.docker('rm', '-f', ...allContainers()).catch(() => undefined);
      await d.docker('network', 'rm', NETWORK).catch(() => undefined);
      await d.docker('rmi', '-f', IMAGE).catch(() => undefined);
      left = { containers: await d.docker('ps', '-aq'), images: await d.docker('images', '-q') };
    }
  } finally {
    await d?.stop();
    rmSync(stateRoot, { recursive: true, force: true });
  }
  expect(left).toEqual({ containers: '', images: '' });
  expect(await firewallRules()).toBe(iptablesBefore);
  expect((await engineProcesses()).filter((p) => !enginePidsBefore.has(p.pid))).toEqual([]);
}, 120_000);

describe('kind control plane: etcd members seen from their nodes', () => {
  it('finds the one leader through each member\'s metrics', async () => {
    const leader = await waitFor('an etcd leader', async () => (await cp.leader()) ?? undefined, 30_000);
    expect(members).toContain(leader);
    const views = await Promise.all(members.map((m) => cp.memberStatus(m, 1000)));
    // Exactly one member says it leads; the others know a leader but not its name.
    expect(views.filter((v) => v.leader !== null)).toEqual([{ leader, term: null }]);
  });

  it('a paused leader goes silent, the others elect a new one, and it rejoins as a follower', async () => {
    const old = (await cp.leader())!;
    await d.docker('pause', containerOf(old));
    try {
      const started = Date.now();
      await expect(cp.memberStatus(old, 1000)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3000);
      const next = await waitFor('a new leader', async () => {
        const l = await cp.leader();
        return l && l !== old ? l : undefined;
      }, 30_000);
      expect(members.filter((m) => m !== old)).toContain(next);
    } finally {
      await d.docker('unpause', containerOf(old));
    }
    // Back, it hears of the new term and steps down: one leader again, and it is not the old one.
    await waitFor('the old leader to answer as a follower', async () => ((await cp.memberStatus(old, 1000)).leader === null ? true : undefined), 30_000);
    const leaders = (await Promise.all(members.map((m) => cp.memberStatus(m, 1000)))).filter((v) => v.leader !== null);
    expect(leaders.length).toBe(1);
    expect(leaders[0]!.leader).not.toBe(old);
  });

  it('a stopped member is an error, not a silent "no leader"', async () => {
    const leader = await cp.leader();
    const follower = members.find((m) => m !== leader)!;
    await d.docker('stop', '--time', '0', containerOf(follower));
    try {
      const started = Date.now();
      await expect(cp.memberStatus(follower, 1000)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await d.docker('start', containerOf(follower));
    }
    await waitFor('the member to answer again', async () => cp.memberStatus(follower, 1000), 30_000);
  });

  it('etcd-member-loss (leader, freeze) through the kind provider pauses the leader\'s node, and revert resumes it', async () => {
    const ledger = new Ledger(stateRoot, 'inject');
    const provider = new KindProvider({
      experiment, runId: 'inject', reportDir: stateRoot, exec: realExecutor, clock: systemClock, log: () => undefined,
      scope: new ResourceScope(ledger, undoAny(realExecutor), systemClock), repoRoot: '.', keep: true, istioVersion: '1.30.0', image: 'unused', dockerHost: d.host, etcdAccess,
    });
    const leader = await waitFor('an etcd leader', async () => (await provider.controlPlane!.leader()) ?? undefined, 30_000);
    const fault = await provider.inject({ kind: 'etcd-member-loss', which: 'leader', count: 1, mode: 'freeze' });
    try {
      expect(fault.affected).toEqual([leader]);
      const state = (m: string) => d.docker('inspect', '--format', '{{.State.Status}}', containerOf(m));
      expect(await state(leader)).toBe('paused');
      for (const m of members.filter((x) => x !== leader)) expect(await state(m)).toBe('running');
    } finally {
      await fault.revert();
    }
    expect(await Promise.all(members.map((m) => d.docker('inspect', '--format', '{{.State.Status}}', containerOf(m))))).toEqual(['running', 'running', 'running']);
    ledger.close();
  });

  it('zone-outage (freeze) through the kind provider pauses exactly zone-a\'s service and control-plane nodes', async () => {
    const ledger = new Ledger(stateRoot, 'zone');
    const provider = new KindProvider({
      experiment, runId: 'zone', reportDir: stateRoot, exec: realExecutor, clock: systemClock, log: () => undefined,
      scope: new ResourceScope(ledger, undoAny(realExecutor), systemClock), repoRoot: '.', keep: true, istioVersion: '1.30.0', image: 'unused', dockerHost: d.host, etcdAccess,
    });
    const states = async () => Object.fromEntries(await Promise.all(allContainers().map(async (c) => [c, await d.docker('inspect', '--format', '{{.State.Status}}', c)] as const)));
    const zoneA = [cluster.mapping.containerOf['svc-a']!, cluster.mapping.containerOf['cp-a']!];
    const fault = await provider.inject({ kind: 'zone-outage', zone: 'zone-a', mode: 'freeze' });
    try {
      expect(fault.affected).toEqual([...zoneA, 'etcd-a']);
      const now = await states();
      for (const c of allContainers()) expect([c, now[c]]).toEqual([c, zoneA.includes(c) ? 'paused' : 'running']);
    } finally {
      await fault.revert();
    }
    expect(Object.values(await states()).every((s) => s === 'running')).toBe(true);
    ledger.close();
  });

  it('reads a key from one member with serializable consistency, and still does while the others are paused (quorum lost)', async () => {
    const read = async (i: number) => {
      const etcd = new EtcdDirect(etcdAccess(members[i]!));
      try {
        return parseRangeAnswer(await etcd.range(configMapEtcdKey('failover-harness-probe', 'probe-key'), true, 1000));
      } finally {
        await etcd.close();
      }
    };
    expect(await read(0)).toEqual({ found: false });
    await realExecutor.run(['etcdctl', '--endpoints', `http://${ip(0)}:2379`, 'put', '/registry/configmaps/failover-harness-probe/probe-key', 'v'], { env: { ETCDCTL_API: '3' } });
    expect(await read(2)).toEqual({ found: true });
    await d.docker('pause', containerOf(members[0]!), containerOf(members[1]!));
    try {
      // The survivor has no quorum: a linearizable read fails, the serializable one still answers.
      await expect(realExecutor.run(['etcdctl', '--endpoints', `http://${ip(2)}:2379`, '--command-timeout', '2s', 'get', '/registry/configmaps/failover-harness-probe/probe-key'], { env: { ETCDCTL_API: '3' } })).rejects.toThrow();
      expect(await read(2)).toEqual({ found: true });
    } finally {
      await d.docker('unpause', containerOf(members[0]!), containerOf(members[1]!));
    }
    await waitFor('a leader again', async () => (await cp.leader()) ?? undefined, 30_000);
  });

  it('etcd-member-loss (leader, kill) SIGKILLs the leader\'s etcd and holds its restart stopped; the revert continues that one', async () => {
    const ledger = new Ledger(stateRoot, 'crash');
    const provider = new KindProvider({
      experiment, runId: 'crash', reportDir: stateRoot, exec: realExecutor, clock: systemClock, log: () => undefined,
      scope: new ResourceScope(ledger, undoAny(realExecutor), systemClock), repoRoot: '.', keep: true, istioVersion: '1.30.0', image: 'unused', dockerHost: d.host, etcdAccess,
    });
    const leader = await waitFor('an etcd leader', async () => (await provider.controlPlane!.leader()) ?? undefined, 30_000);
    const node = containerOf(leader);
    const fault = await provider.inject({ kind: 'etcd-member-loss', which: 'leader', count: 1, mode: 'kill' });
    let restarted = '';
    try {
      expect(fault.affected).toEqual([leader]);
      // Gone, and kept down: the stand-in kubelet starts it again a second later, and the loop stops that one at once
      // (stopped, not killed again: to a kubelet each kill is a crash, and its back-off outlasts the revert).
      await d.docker('exec', node, '/bin/busybox', 'test', '-f', '/root/failover-harness-etcd-down');
      await new Promise((r) => setTimeout(r, 2500));
      expect(await provider.controlPlane!.memberStatus(leader, 500).then(() => 'answered', () => 'down')).toBe('down');
      restarted = (await d.docker('exec', node, '/usr/bin/pgrep', '-x', 'etcd')).trim();
      expect(await d.docker('exec', node, '/bin/busybox', 'grep', 'State', `/proc/${restarted}/status`)).toMatch(/T \(stopped\)/);
      // A crash, not a graceful stop: etcd never logged its shutdown (it does on SIGTERM, then hands leadership over).
      expect(await d.docker('exec', node, '/bin/busybox', 'cat', '/tmp/etcd.log')).not.toMatch(/shutting down|transfer/i);
      const next = await waitFor('a new leader', async () => {
        const l = await firstLeader(members.filter((m) => m !== leader), (m) => provider.controlPlane!.memberStatus(m, 1000));
        return l ?? undefined;
      }, 30_000);
      expect(next).not.toBe(leader);
      await fault.revert();
      await fault.awaitRecovered!();
    } finally {
      await fault.revert();
    }
    // The same process, continued: the revert started no new one.
    expect((await d.docker('exec', node, '/usr/bin/pgrep', '-x', 'etcd')).trim()).toBe(restarted);
    expect(await d.docker('exec', node, '/bin/busybox', 'grep', 'State', `/proc/${restarted}/status`)).not.toMatch(/T \(stopped\)/);
    await provider.controlPlane!.memberStatus(leader, 1000);
    expect(await provider.controlPlane!.leader()).not.toBeNull();
    ledger.close();
  });
});
