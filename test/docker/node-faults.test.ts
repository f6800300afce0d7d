import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../harness/core/clock.js';
import { realExecutor } from '../../harness/exec/index.js';
import { Ledger, listLedgers } from '../../harness/faults/ledger.js';
import { ResourceScope } from '../../harness/faults/scope.js';
import { actOnNodes, DockerCli, listNodes } from '../../harness/providers/kind/docker-nodes.js';
import { cleanupLedgers } from '../../harness/providers/local/cleanup.js';
import { undoAny } from '../../harness/providers/undo.js';
import { engineProcesses, firewallRules, importStandIn, startDockerd, type TestDocker } from '../helpers/dockerd.js';

// The kind provider's docker-level faults against a real Docker engine, on
// stand-in node containers labelled exactly like kind's. Checks that each
// fault acts, reverts, survives a crash (ledger + cleanup) and touches only
// the containers it names.

const IMAGE = 'fh-kind-standin:test';
const NETWORK = 'fh-kind-test';
const CLUSTER = 'fhtest';
const NODES = [
  { name: `${CLUSTER}-control-plane`, role: 'control-plane' },
  { name: `${CLUSTER}-worker`, role: 'worker' },
  { name: `${CLUSTER}-worker2`, role: 'worker' },
  { name: `${CLUSTER}-worker3`, role: 'worker' },
];
const OTHER = 'fhother-worker';
const SQUATTER = 'fh-squatter';

let d: TestDocker;
let cli: DockerCli;
let stateRoot: string;

async function state(name: string): Promise<string> {
  return d.docker('inspect', '--format', '{{.State.Status}}', name);
}
async function address(name: string): Promise<string> {
  return d.docker('inspect', '--format', `{{with index .NetworkSettings.Networks "${NETWORK}"}}{{.IPAddress}}{{end}}`, name);
}
async function networks(name: string): Promise<string> {
  return d.docker('inspect', '--format', '{{json .NetworkSettings.Networks}}', name);
}
async function states(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of [...NODES.map((x) => x.name), OTHER]) out[n] = await state(n);
  return out;
}
const allRunning = () => Object.fromEntries([...NODES.map((x) => x.name), OTHER].map((n) => [n, 'running']));

function scope(runId: string): { scope: ResourceScope; ledger: Ledger } {
  const ledger = new Ledger(stateRoot, runId);
  return { ledger, scope: new ResourceScope(ledger, undoAny(realExecutor), systemClock) };
}

let iptablesBefore = '';
let enginePidsBefore = new Set<number>();

beforeAll(async () => {
  iptablesBefore = await firewallRules();
  enginePidsBefore = new Set((await engineProcesses()).map((p) => p.pid));
  stateRoot = mkdtempSync(join(tmpdir(), 'fh-docker-ledger-'));
  d = await startDockerd();
  cli = new DockerCli(d.host);
  await importStandIn(d.docker, IMAGE);
  // Docker networks made for tests use the benchmark range too.
  await d.docker('network', 'create', '--subnet', '198.19.250.0/24', NETWORK);
  for (const n of NODES) {
    await d.docker('run', '-d', '--name', n.name, '--network', NETWORK, '--label', `io.x-k8s.kind.cluster=${CLUSTER}`, '--label', `io.x-k8s.kind.role=${n.role}`, IMAGE, '/bin/busybox', 'sleep', '3600');
  }
  await d.docker('run', '-d', '--name', OTHER, '--network', NETWORK, '--label', 'io.x-k8s.kind.cluster=fhother', '--label', 'io.x-k8s.kind.role=worker', IMAGE, '/bin/busybox', 'sleep', '3600');
  await d.docker('exec', NODES[0]!.name, '/bin/busybox', 'sh', '-c', 'echo "kind: Pod" > /etc/kubernetes/manifests/etcd.yaml');
}, 180_000);

afterAll(async () => {
  // The engine is stopped whatever happens before; what was left is asserted after.
  let left = { containers: 'not checked', networks: 'not checked', images: 'not checked' };
  try {
    if (d) {
      await d.docker('rm', '-f', ...NODES.map((n) => n.name), OTHER, SQUATTER).catch(() => undefined);
      await d.docker('network', 'rm', NETWORK).catch(() => undefined);
      await d.docker('rmi', '-f', IMAGE).catch(() => undefined);
      left = { containers: await d.docker('ps', '-aq'), networks: await d.docker('network', 'ls', '--filter', `name=${NETWORK}`, '-q'), images: await d.docker('images', '-q') };
    }
  } finally {
    await d?.stop();
    rmSync(stateRoot, { recursive: true, force: true });
  }
  expect(left).toEqual({ containers: '', networks: '', images: '' });
  // The host's firewall is as it was (dockerd sets FORWARD to DROP and adds chains).
  expect(await firewallRules()).toBe(iptablesBefore);
  // Nothing of the engine is left running.
  // (Zombies are excluded: they are dead and wait for PID 1 to reap them.)
  expect((await engineProcesses()).filter((p) => !enginePidsBefore.has(p.pid))).toEqual([]);
}, 120_000);

describe('kind node faults on a real Docker engine', () => {
  it('finds the nodes of one kind cluster by its labels, and no others', async () => {
    const nodes = await listNodes(cli, realExecutor, CLUSTER);
    expect(nodes.map((n) => [n.name, n.role, n.state]).sort()).toEqual(NODES.map((n) => [n.name, n.role, 'running']).sort());
  });

  it.each([
    ['stop', 'exited'],
    ['pause', 'paused'],
  ] as const)('%s takes down exactly the named nodes and revert brings them back', async (action, down) => {
    const { scope: s, ledger } = scope(`t-${action}`);
    const zone = [`${CLUSTER}-worker`, `${CLUSTER}-worker2`];
    const revert = await actOnNodes(cli, realExecutor, s, action, zone, NETWORK);
    expect(await states()).toEqual({ ...allRunning(), [zone[0]!]: down, [zone[1]!]: down });
    await revert();
    expect(await states()).toEqual(allRunning());
    ledger.close();
  });

  it('disconnect isolates a node from the network and revert reconnects it', async () => {
    const { scope: s, ledger } = scope('t-disconnect');
    const node = `${CLUSTER}-worker3`;
    const revert = await actOnNodes(cli, realExecutor, s, 'disconnect', [node], NETWORK);
    expect(await networks(node)).not.toContain(NETWORK);
    expect(await networks(`${CLUSTER}-worker`)).toContain(NETWORK);
    await revert();
    expect(await networks(node)).toContain(NETWORK);
    ledger.close();
  });

  it('keeps etcd down while its marker is in the node; the undo removes the marker and the loop ends', async () => {
    const { scope: s, ledger } = scope('t-etcd');
    const node = NODES[0]!.name;
    // No etcd runs here (kind-control-plane.test.ts has real ones): the marker, and the loop the exec leaves running.
    const { id } = await s.acquire({ kind: 'etcd-kept-down', container: node, dockerHost: d.host }, async () => {
      for (const argv of cli.crashEtcd(node).apply) await realExecutor.run(argv);
    });
    const loop = async () => (await d.docker('top', node, '-o', 'pid,args')).includes('failover-harness-etcd-down');
    expect(await loop()).toBe(true);
    await s.release(id);
    await expect(d.docker('exec', node, '/bin/busybox', 'test', '-f', '/root/failover-harness-etcd-down')).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 500));
    expect(await loop()).toBe(false);
    // The loop said it ended (the revert waits for that before continuing a stopped etcd).
    await expect(d.docker('exec', node, '/bin/busybox', 'test', '-f', '/root/failover-harness-etcd-down.loop')).rejects.toThrow();
    // The manifest was never touched.
    expect(await d.docker('exec', node, '/bin/busybox', 'cat', '/etc/kubernetes/manifests/etcd.yaml')).toBe('kind: Pod');
    ledger.close();
  });

  it('a crashed run is undone from its ledger by cleanup', async () => {
    const { scope: s } = scope('t-crash');
    const zone = [`${CLUSTER}-worker`, `${CLUSTER}-worker3`];
    await actOnNodes(cli, realExecutor, s, 'pause', zone, NETWORK);
    await actOnNodes(cli, realExecutor, s, 'disconnect', [`${CLUSTER}-worker2`], NETWORK);
    // The run "dies" here: nothing is released. Cleanup reads the ledger from disk.
    const outstanding = listLedgers(stateRoot).filter((l) => l.outstanding.length > 0);
    expect(outstanding.flatMap((l) => l.outstanding.map((o) => o.resource.kind))).toEqual(['docker-node', 'docker-node', 'docker-node']);
    const { undone, failures } = await cleanupLedgers(outstanding, realExecutor, () => undefined);
    expect(failures).toEqual([]);
    expect(undone).toBe(3);
    expect(await states()).toEqual(allRunning());
    expect(await networks(`${CLUSTER}-worker2`)).toContain(NETWORK);
    // Idempotent: a second cleanup finds nothing to do.
    expect(listLedgers(stateRoot).filter((l) => l.outstanding.length > 0)).toEqual([]);
  });

  it('nodes stopped together come back on their own addresses (started one at a time, lowest first)', async () => {
    const { scope: s, ledger } = scope('t-stop-three');
    const zone = [`${CLUSTER}-worker3`, `${CLUSTER}-worker`, `${CLUSTER}-worker2`];
    const before = Object.fromEntries(await Promise.all(zone.map(async (n) => [n, await address(n)] as const)));
    for (let round = 0; round < 3; round++) {
      const revert = await actOnNodes(cli, realExecutor, s, 'stop', zone, NETWORK);
      // Started together, Docker would hand each the lowest free address in start order, often another's.
      await revert();
      expect(Object.fromEntries(await Promise.all(zone.map(async (n) => [n, await address(n)] as const)))).toEqual(before);
    }
    ledger.close();
  });

  // Run last: they leave ledgers with a failed undo and a node on a new address.
  it('disconnect then reconnect keeps each node\'s address, even reconnected in the other order', async () => {
    const { scope: s, ledger } = scope('t-keep-ip');
    const [low, high] = [`${CLUSTER}-worker2`, `${CLUSTER}-worker3`];
    const before = { [low]: await address(low), [high]: await address(high) };
    const revertLow = await actOnNodes(cli, realExecutor, s, 'disconnect', [low], NETWORK);
    const revertHigh = await actOnNodes(cli, realExecutor, s, 'disconnect', [high], NETWORK);
    // Docker hands out the lowest free address: without --ip, the first node back would take the other's.
    await revertHigh();
    await revertLow();
    expect({ [low]: await address(low), [high]: await address(high) }).toEqual(before);
    ledger.close();
  });

  it('a node that comes back on another address fails its revert loudly', async () => {
    const { scope: s } = scope('t-moved');
    const node = `${CLUSTER}-worker`;
    const old = await address(node);
    const revert = await actOnNodes(cli, realExecutor, s, 'stop', [node], NETWORK);
    // Another container takes the stopped node's address, as can happen on a busy kind network.
    await d.docker('run', '-d', '--name', SQUATTER, '--network', NETWORK, '--ip', old, IMAGE, '/bin/busybox', 'sleep', '3600');
    await expect(revert()).rejects.toThrow(new RegExp(`node ${node} came back on ${NETWORK} with address [\\d.]+, not ${old.replace(/\./g, '\\.')}: a kind node that changes address breaks its cluster`));
    expect(await state(node)).toBe('running');
  });
});
