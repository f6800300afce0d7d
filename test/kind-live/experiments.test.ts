import { execa } from 'execa';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deleteClusters } from './engine.js';
import type { Journal } from '../../harness/core/journal.js';
import { readJournal, REPO, runCli, tempDir } from '../helpers/cli.js';

// The kind path, live: clusters built here from packages (global-setup.ts),
// plain Kubernetes (--mesh none: kube-proxy, trafficDistribution:
// PreferSameZone), each experiment run as a user runs it. A run that fails an
// assertion, errors, or gives a figure the live cluster contradicts fails the
// test. Runs of one topology share their cluster (--keep); each report is
// kept under reports/kind-live/ (CI keeps that folder).

const REPORTS = join(REPO, 'reports', 'kind-live');

beforeAll(() => {
  process.env.DOCKER_HOST = inject('dockerHost');
  process.env.PATH = inject('toolPath');
  mkdirSync(REPORTS, { recursive: true });
});

async function live(name: string, ...args: string[]): Promise<{ journal: Journal; output: string; exitCode: number }> {
  const dir = tempDir(`kind-${name}`);
  const argv = [...args, '--provider', 'kind', '--mesh', 'none', '--node-image', inject('nodeImage'), '--keep', '--report-dir', dir];
  const attempt = async () => {
    let r = await runCli(argv);
    // The harness refuses a run whose own driver could not send on time (the machine, not the data plane: live, two
    // kind nodes booting on two cores stalled it 300 ms, and the first run on a ten-node cluster just made missed
    // 1.0–1.1% twice in a row). Such a run is run again, at most twice, and the log says so.
    for (let again = 0; again < 2 && r.exitCode === 3 && /the traffic driver could not send/.test(r.output); again++) {
      console.log(`${name}: refused for the driver's own overload; once more:\n${r.output.split('\n').filter((l) => /could not send/.test(l)).join('\n')}`);
      rmSync(dir, { recursive: true, force: true });
      r = await runCli(argv);
    }
    return r;
  };
  let { exitCode, output } = await attempt();
  // Once in about ten clusters made here, one client's node routed to every zone from the first request on, for the
  // cluster's life (kube-proxy there did not apply PreferSameZone; cause not found). The harness now reads that in
  // kube-proxy's rules before the baseline, restarts kube-proxy there once, and refuses the run if that did not
  // help. Such a refusal is run once more on clusters made anew, and the log says so.
  if (exitCode === 3 && /PreferSameZone is not in force before any fault/.test(output)) {
    console.log(`${name}: ${output.split('\n').find((l) => /^error: PreferSameZone/.test(l))}; once more on new clusters`);
    console.log((await runCli([], 'cleanup')).output.slice(-1000));
    console.log(`deleted: ${(await deleteClusters(inject('dockerHost'))).join(', ')}`);
    rmSync(dir, { recursive: true, force: true });
    ({ exitCode, output } = await attempt());
  }
  const kept = join(REPORTS, name);
  rmSync(kept, { recursive: true, force: true });
  cpSync(dir, kept, { recursive: true });
  // What the harness found of kube-proxy's zone preference before the baseline (--mesh none), then the run's end.
  const zones = output.split('\n').filter((l) => /PreferSameZone (is )?(in force|not)/.test(l));
  const tail = output.split('\n').filter((l) => !/req\/s/.test(l)).slice(-24);
  console.log(`${name}: exit ${exitCode}\n${[...zones.filter((l) => !tail.includes(l)), ...tail].join('\n')}`);
  // A run that failed may leave its ledger (a revert that failed): clean up, so the next test is not refused too.
  if (exitCode !== 0) console.log((await runCli([], 'cleanup')).output.slice(-1000));
  return { journal: readJournal(dir), output, exitCode };
}

const client = (j: Journal, name: string) => j.clients.find((c) => c.name === name)!;

describe('zone-outage live', () => {
  it.each(['kill', 'freeze', 'isolate'])('%s: zone-a fails, b and c untouched; Kubernetes keeps zone-a listed through the 8 s fault', async (mode) => {
    const { journal, exitCode, output } = await live(`zone-outage-${mode}`, 'zone-outage', '--mode', mode);
    expect(exitCode, output.slice(-2000)).toBe(0);
    expect(journal.status).toBe('passed');
    const a = client(journal, 'client-a');
    // PreferSameZone: baseline at home; the dead zone stays listed (grace period 20 s > 8 s fault): no failover.
    expect(a.phases.baseline.locality.sameZone).toBeGreaterThanOrEqual(0.95);
    expect(a.phases.fault.errorRate).toBeGreaterThanOrEqual(mode === 'freeze' ? 0.7 : 0.9);
    for (const other of ['client-b', 'client-c']) expect(client(journal, other).phases.fault.errorRate).toBe(0);
    expect(journal.faults[0]!.revertedAtMs).toBeGreaterThan(journal.faults[0]!.injectedAtMs);
  });
});

describe('PreferSameZone not in force on a client\'s node (the once-in-ten-clusters state, made on purpose)', () => {
  // With client-a's node unlabelled, kube-proxy there drops the zone preference (pkg/proxy/topology.go: the node
  // has no zone) and sends the echo service to all six endpoints, as seen live once on a fresh cluster. The harness
  // must see it in kube-proxy's rules before the baseline, restart kube-proxy there once, and refuse the run
  // naming the node: a baseline spread over every zone measures kube-proxy, not failover.
  it('zone-outage is refused before any traffic, naming the node and what its kube-proxy sends to', async () => {
    const kubectl = (...args: string[]) => execa('kubectl', ['--context', 'kind-fh-c1', ...args], { timeout: 60_000 });
    const node = (await kubectl('get', 'nodes', '-l', 'failover-harness.io/node=client-a', '-o', 'jsonpath={.items[0].metadata.name}')).stdout.trim();
    expect(node).toMatch(/^fh-c1-worker\d*$/);
    await kubectl('label', 'node', node, 'topology.kubernetes.io/zone-');
    try {
      const dir = tempDir('kind-unlabelled');
      const { exitCode, output } = await runCli(['zone-outage', '--provider', 'kind', '--mesh', 'none', '--node-image', inject('nodeImage'), '--keep', '--report-dir', dir]);
      console.log(output.split('\n').filter((l) => /PreferSameZone|kube-proxy/.test(l)).join('\n'));
      expect(exitCode, output.slice(-2000)).toBe(3);
      expect(output).toContain(`restarting kube-proxy on ${node} (once)`);
      expect(output).toMatch(new RegExp(`PreferSameZone is not in force before any fault, even after a kube-proxy restart: kube-proxy on ${node} sends the echo service to 6 endpoints \\(.*\\), not the 2 in zone-a \\(`));
      // Refused before the baseline: the run never reached it.
      const j = readJournal(dir);
      expect(j.status).toBe('error');
      expect(j.timeline.map((e) => e.event)).not.toContain('baseline');
    } finally {
      await kubectl('label', 'node', node, 'topology.kubernetes.io/zone=zone-a', '--overwrite');
      console.log((await runCli([], 'cleanup')).output.slice(-500));
    }
  });
});

describe('same cluster, more of it: a timeline of two zones, and Kubernetes\' own figures', () => {
  it('rolling-zone-outage: each zone fails in its own window; client-c never notices', async () => {
    const { journal, exitCode, output } = await live('rolling-zone-outage', 'rolling-zone-outage');
    expect(exitCode, output.slice(-2000)).toBe(0);
    expect(journal.faults.map((f) => f.affected.length)).toEqual([1, 1]);
    // Each injection's own window: client-a failed in zone-a's, client-b in zone-b's (no mesh: nothing ejects).
    expect(journal.faults[0]!.impact!['client-a']!.failed).toBeGreaterThan(0);
    expect(journal.faults[1]!.impact!['client-b']!.failed).toBeGreaterThan(0);
    expect(journal.faults[0]!.impact!['client-b']!.failed).toBe(0);
    expect(client(journal, 'client-c').phases.fault.errorRate).toBe(0);
  });

  it('a stopped node goes NotReady after the grace period, its endpoints leave and the client recovers; it comes back Ready with its pods serving', async () => {
    const { renderKindClusters, NODE_MONITOR_GRACE_S } = await import('../../harness/providers/kind/kind-config.js');
    const { parseExperiment } = await import('../../harness/core/experiment.js');
    const zoneOutage = (await import('../../experiments/zone-outage.js')).default;
    const node = renderKindClusters(parseExperiment(zoneOutage, 'zone-outage').topology)[0]!.mapping.containerOf['svc-a']!;
    // The node's Ready condition, every second, while the run goes (kubectl, as a user would read it).
    const seen: { at: number; ready: string }[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const r = await execa('kubectl', ['--context', 'kind-fh-c1', 'get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'], { reject: false, timeout: 5000 });
        if (r.exitCode === 0) seen.push({ at: Date.now(), ready: r.stdout.trim() });
        await new Promise((done) => setTimeout(done, 1000));
      }
    })();
    let result;
    try {
      // 40 s: longer than the grace period, so Kubernetes acts within the fault. Without a mesh client-a then fails
      // only until its zone's endpoints leave: the experiment's 8 s expectation (>= 70% failed) is replaced, on record.
      result = await live('zone-outage-kill-40s', 'zone-outage', '--mode', 'kill', '--duration', '40s', '--recovery', '20s', '--assert', 'client(client-a).fault.errorRate >= 30%');
    } finally {
      polling = false;
      await poll;
    }
    const { journal, output } = result;
    const f = journal.faults[0]!;
    const notReady = seen.find((s) => s.at > f.injectedAtMs && s.ready !== 'True');
    const readyAgain = seen.find((s) => s.at > f.revertedAtMs! && s.ready === 'True');
    const a = client(journal, 'client-a');
    const figures = {
      notReadyAfterMs: notReady ? notReady.at - f.injectedAtMs : null,
      endpointsLeftAfterMs: a.timeToFailoverMs,
      clientRecoveredAfterMs: a.recoveryTimeMs,
      readyAgainAfterRevertMs: readyAgain ? readyAgain.at - f.revertedAtMs! : null,
      podsServingAfterRevertMs: f.revertReadyAtMs! - f.revertedAtMs!,
      failbackMs: a.failbackTimeMs,
    };
    console.log(`Kubernetes figures (node-monitor grace ${NODE_MONITOR_GRACE_S} s): ${JSON.stringify(figures)}`);
    expect(journal.status, output.slice(-2000)).toBe('passed');
    // NotReady once the grace period has passed without a heartbeat (lease renewals every 10 s: up to grace + 10 s).
    expect(figures.notReadyAfterMs).toBeGreaterThanOrEqual((NODE_MONITOR_GRACE_S - 10) * 1000);
    expect(figures.notReadyAfterMs).toBeLessThanOrEqual((NODE_MONITOR_GRACE_S + 15) * 1000);
    // Then its pods go unready, the EndpointSlice drops them and kube-proxy stops sending there: client-a's first
    // request served by another zone (PreferSameZone falls back to them) comes just after NotReady (live: NotReady
    // 15.0 s, served elsewhere 15.2 s), within the 40 s fault. Its recovery figure is later: live, from 1.3 s before
    // the revert some requests timed out again (12, until the node was back), so it read 41.1 s.
    expect(a.timeToFailoverMs).not.toBeNull();
    expect(a.timeToFailoverMs!).toBeGreaterThanOrEqual(figures.notReadyAfterMs! - 2000);
    expect(a.timeToFailoverMs!).toBeLessThan(40_000);
    expect(a.phases.fault.servedBy.zone['eu-west-1/zone-b'] ?? 0).toBeGreaterThan(0.2);
    expect(figures.readyAgainAfterRevertMs).not.toBeNull();
  });
});

describe('single-instance faults live (a connection per request: kube-proxy balances each request)', () => {
  it('gray-instance: the 503-ing instance stays listed and fails its share of client-a\'s requests; client-b untouched', async () => {
    const { journal, exitCode, output } = await live('gray-instance', 'gray-instance');
    expect(exitCode, output.slice(-2000)).toBe(0);
    const a = client(journal, 'client-a');
    // One of four same-zone endpoints answers 503 and nothing ejects it: about a quarter of the fault phase fails.
    expect(a.phases.fault.errorRate).toBeGreaterThanOrEqual(0.1);
    expect(a.phases.fault.errorRate).toBeLessThanOrEqual(0.4);
    // Requests spread over zone-a's four instances, not one kept-alive connection's.
    expect(Object.keys(a.phases.baseline.servedBy.instance).length).toBeGreaterThanOrEqual(3);
    expect(client(journal, 'client-b').phases.fault.errorRate).toBe(0);
  });

  it('drain-listeners: the drained instance leaves the client\'s requests; every request is still answered or failed fast', async () => {
    const { journal, exitCode, output } = await live('drain-listeners', 'drain-listeners');
    expect(exitCode, output.slice(-2000)).toBe(0);
    const c = client(journal, 'tianjin-client');
    const fault = journal.faults[0]!;
    expect(fault.affected).toEqual(['tianjin-svc-1']);
    // Spread over the zone's three instances before; the drained one's share gone by the end of the fault.
    expect(Object.keys(c.phases.baseline.servedBy.instance).length).toBe(3);
    expect(c.phases.fault.servedBy.instance['tianjin-svc-1'] ?? 0).toBeLessThan(c.phases.baseline.servedBy.instance['tianjin-svc-1'] ?? 0);
  });
});

describe('two clusters live', () => {
  // Kept clusters of another topology would run beside the next ones: live, east and west (six nodes) left up
  // beside the ten-node control-plane cluster overloaded two cores (writes failing before any fault), and the
  // single-cluster runs' fh-c1 beside east and west stalled the driver.
  beforeAll(async () => {
    console.log(`deleted before the two-cluster run: ${(await deleteClusters(inject('dockerHost'))).join(', ')}`);
  });
  afterAll(async () => {
    console.log(`deleted after the two-cluster run: ${(await deleteClusters(inject('dockerHost'))).join(', ')}`);
  });
  it('cluster-failover: a Service spans one cluster, so east\'s client has nowhere to go until its cluster is back', async () => {
    const { journal, exitCode, output } = await live('cluster-failover', 'cluster-failover');
    expect(exitCode, output.slice(-2000)).toBe(0);
    const east = client(journal, 'east-client');
    expect(east.phases.baseline.locality.sameRegion).toBeGreaterThanOrEqual(0.95);
    expect(east.phases.fault.errorRate).toBeGreaterThanOrEqual(0.95);
    expect(east.phases.fault.servedBy.region['us-west-2'] ?? 0).toBe(0);
    // Back home once east's nodes are up and its pods ready again.
    expect(journal.faults[0]!.revertReadyAtMs).toBeGreaterThan(journal.faults[0]!.revertedAtMs!);
    expect(east.phases.recovery.servedBy.region['us-east-1'] ?? 0).toBeGreaterThan(0.5);
  });
});

describe('the control plane live (three stacked etcd members, a probe stream per API server)', () => {
  // At 5 req/s per client, as etcd-quorum-loss below: CI refused this run three times in a row for the driver's own
  // overload at 20 req/s (the leader's crash and the election load two cores), and here it was refused once in two.
  // The control plane's probes, which this run judges, keep their own rate.
  it('etcd-member-loss: the leader crashes and stays down; another takes over, no acknowledged write is lost, clients never notice', async () => {
    const { journal, exitCode, output } = await live('etcd-member-loss', 'etcd-member-loss', '--rate', '5');
    expect(exitCode, output.slice(-2000)).toBe(0);
    const cp = journal.controlPlane!;
    expect(journal.faults[0]!.affected).toEqual([cp.initialLeader]);
    expect(cp.leaderLost).toBe(true);
    expect(cp.finalLeader).not.toBe(cp.initialLeader);
    expect(cp.leaderElectionMs).toBeLessThan(3000);
    expect(cp.lostAcknowledgedWrites).toBe(0);
    expect(cp.acknowledgedWrites).toBeGreaterThan(50);
    for (const c of journal.clients) expect(c.phases.fault.errorRate).toBe(0);
  });

  // At 5 req/s per client: the driver is not what this run measures, and two cores do not keep a ten-node cluster
  // and a 20 req/s driver on time through a quorum loss (2.1–5.2% not sent on time: refused, three times). At 5
  // req/s the driver's send tolerance is 400 ms; the override is in the report, as any is. What else kept this run
  // from passing, each fixed and pinned: the kubelet's crash-loop back-off (etcd's restarts are now stopped, not
  // killed), reads answered after the revert began counted as failed, and writes sent during the inject action
  // (a leader lookup, up to 2.5 s) counted in the fault phase.
  it('etcd-quorum-loss: two followers crash: writes and quorum reads fail, the survivor still answers serializable reads; writes return after the revert', async () => {
    const { journal, exitCode, output } = await live('etcd-quorum-loss', 'etcd-quorum-loss', '--rate', '5');
    expect(exitCode, output.slice(-2000)).toBe(0);
    const cp = journal.controlPlane!;
    expect(cp.readOnly).toBe(true);
    expect(cp.phases.fault.serializableReads.availability).toBeGreaterThanOrEqual(0.95);
    expect(cp.phases.fault.linearizableReads.availability).toBeLessThanOrEqual(0.1);
    expect(cp.writeRecoveryMs).not.toBeNull();
    expect(cp.lostAcknowledgedWrites).toBe(0);
    for (const c of journal.clients) expect(c.phases.fault.errorRate).toBe(0);
  });
});

