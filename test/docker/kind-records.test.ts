import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../harness/core/clock.js';
import { realExecutor, type Executor } from '../../harness/exec/index.js';
import { Kube } from '../../harness/providers/kubernetes/kube.js';
import { collectClientRecords, stopClientDriver } from '../../harness/providers/kubernetes/records.js';
import { clientJobs, RECORDS_DIR } from '../../harness/providers/kubernetes/manifests.js';
import { parseExperiment } from '../../harness/core/experiment.js';
import { buildDriverBundle, IMAGE_DRIVER_BUNDLE } from '../../harness/traffic/driver-bundle.js';
import zoneOutage from '../../experiments/zone-outage.js';
import { engineProcesses, firewallRules, importStandIn, startDockerd, type TestDocker } from '../helpers/dockerd.js';

// The kind records path on a real Docker engine: a stand-in client pod (a
// container running the real harness driver and records holder, with the
// very arguments the client Job renders) sends real requests to a real echo
// server in another container, writes its records to a file, and the
// harness's collection code copies them out through `exec` and checks them
// against the driver's own count. Only kubectl's transport is stood in for:
// `kubectl exec job/… -c records -- CMD` becomes `docker exec <container> CMD`.

const IMAGE = 'fh-kind-node-standin:test';
const NETWORK = 'fh-kind-rec-test';
const SUBNET = '198.19.252';
const ECHO = 'fh-rec-echo';
const REPO = new URL('../../', import.meta.url).pathname;
const NS = 'chaos';

let d: TestDocker;
let iptablesBefore = '';
let enginePidsBefore = new Set<number>();
let scratch: string;

/** kubectl's transport onto docker: the pod of job/traffic-<client> is the container named <client>. */
function kubeOnDocker(corrupt?: (argv: string[]) => string[] | undefined): Kube {
  const exec: Executor = {
    run: async (argv, options) => {
      const args = argv.slice(3); // kubectl --context ctx
      const sep = args.indexOf('--');
      if (args[2] === 'exec' && sep > 0) {
        const pod = args[3]!.replace('job/traffic-', '');
        const cmd = args.slice(sep + 1);
        return realExecutor.run(['docker', '-H', d.host, 'exec', pod, ...(corrupt?.(cmd) ?? cmd)], options);
      }
      if (args[2] === 'wait' && args.includes('--for=condition=complete')) {
        const pod = args.find((a) => a.startsWith('job/'))!.replace('job/traffic-', '');
        const { stdout } = await realExecutor.run(['docker', '-H', d.host, 'wait', pod], options);
        if (stdout.trim() !== '0') throw new Error(`job exited ${stdout.trim()}`);
        return { stdout: '', stderr: '' };
      }
      return { stdout: '', stderr: '' };
    },
    spawn: () => {
      throw new Error('not used');
    },
  };
  return new Kube(exec, 'ctx', 'test');
}

/** The driver and holder as the client Job renders them, started in a stand-in pod. */
async function startClientPod(client: string, ip: string): Promise<void> {
  const ex = parseExperiment({ ...zoneOutage, traffic: { rate: 200, timeout: '1s' } }, 'zone-outage');
  const [job] = clientJobs(ex, 'c1', 'unused', { startAt: Date.now(), maxDurationMs: 60_000, k6DurationMs: 60_000 }).filter((j) => (j.metadata as { name: string }).name === `traffic-${client}`);
  const [driver, holder] = (job!.spec as { template: { spec: { containers: { command?: string[]; args: string[] }[] } } }).template.spec.containers;
  const args = driver!.args.map((a) => (a.startsWith('http://echo.') ? `http://${SUBNET}.50:8080/` : a));
  const node = (...a: string[]) => ['/usr/bin/node', '--import', 'tsx', ...a];
  // The driver as the Job runs it: its own command (plain node) on the bundle the image builds. The stand-in
  // has the repository read-only at /app, so the bundle, built here as the Dockerfile does, is mounted beside it.
  expect(driver!.command).toEqual(['node']);
  expect(args[0]).toBe(IMAGE_DRIVER_BUNDLE);
  const app = ['-v', `${REPO}:/app:ro`, '-v', `${join(scratch, 'bundle')}:/bundle:ro`, '-w', '/app'];
  await d.docker('run', '-d', '--name', client, '--network', NETWORK, '--ip', ip, ...app, '--tmpfs', RECORDS_DIR, '--tmpfs', '/tmp', IMAGE, ...node(...holder!.args));
  await d.docker('exec', '-d', '-w', '/app', client, '/usr/bin/node', '/bundle/driver.mjs', ...args.slice(1), '--allow-target', `${SUBNET}.50`);
}

beforeAll(async () => {
  iptablesBefore = await firewallRules();
  enginePidsBefore = new Set((await engineProcesses()).map((p) => p.pid));
  scratch = mkdtempSync(join(tmpdir(), 'fh-docker-rec-'));
  await buildDriverBundle(realExecutor, join(scratch, 'bundle', 'driver.mjs'));
  d = await startDockerd();
  await importStandIn(d.docker, IMAGE, ['/usr/bin/node']);
  await d.docker('network', 'create', '--subnet', `${SUBNET}.0/24`, NETWORK);
  const identity = JSON.stringify({ instance: 'svc-b-1', node: 'svc-b', cluster: 'c1', region: 'eu-west-1', zone: 'zone-b', subzone: '' });
  await d.docker(
    'run', '-d', '--name', ECHO, '--network', NETWORK, '--ip', `${SUBNET}.50`, '-v', `${REPO}:/app:ro`, '-w', '/app', '--tmpfs', '/tmp', IMAGE,
    '/usr/bin/node', '--import', 'tsx', 'harness/workloads/echo-server.ts', '--identity', identity, '--host', '0.0.0.0', '--port', '8080', '--admin-host', '127.0.0.1', '--admin-port', '9080',
  );
}, 240_000);

afterAll(async () => {
  let left = { containers: 'not checked', images: 'not checked' };
  try {
    if (d) {
      await d.docker('rm', '-f', ECHO, 'client-a', 'client-b').catch(() => undefined);
      await d.docker('network', 'rm', NETWORK).catch(() => undefined);
      await d.docker('rmi', '-f', IMAGE).catch(() => undefined);
      left = { containers: await d.docker('ps', '-aq'), images: await d.docker('images', '-q') };
    }
  } finally {
    await d?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  expect(left).toEqual({ containers: '', images: '' });
  expect(await firewallRules()).toBe(iptablesBefore);
  expect((await engineProcesses()).filter((p) => !enginePidsBefore.has(p.pid))).toEqual([]);
}, 120_000);

describe('kind client records, copied out of the pod', () => {
  it('stops the driver by its stop file, copies every record from the emptyDir file, and the Job completes', async () => {
    await startClientPod('client-a', `${SUBNET}.11`);
    await new Promise((r) => setTimeout(r, 3000));
    const kube = kubeOnDocker();
    await stopClientDriver(kube, NS, 'client-a');
    const records = await collectClientRecords({ kube, namespace: NS, client: 'client-a', k6: false, clock: systemClock, waitMs: 30_000 });
    expect(records.length).toBeGreaterThan(100);
    expect(records.filter((r) => r.error === null && r.instance === 'svc-b-1').length).toBe(records.length);
    // The holder exits once the records are collected: the Job completes.
    expect(await d.docker('inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'client-a')).toBe('exited 0');
  }, 90_000);

  it('a copy that lost lines fails the run, naming the counts', async () => {
    await startClientPod('client-b', `${SUBNET}.12`);
    await new Promise((r) => setTimeout(r, 2000));
    // Stand-in for a copy that lost its tail: the records file read through `head`.
    const kube = kubeOnDocker((cmd) => (cmd[0] === 'cat' && cmd[1]!.endsWith('client-b.ndjson') ? ['/bin/busybox', 'head', '-n', '5', cmd[1]!] : undefined));
    await stopClientDriver(kube, NS, 'client-b');
    await expect(collectClientRecords({ kube, namespace: NS, client: 'client-b', k6: false, clock: systemClock, waitMs: 30_000 })).rejects.toThrow(/records of client-b are incomplete: copied 5 records, the driver wrote \d+/);
  }, 90_000);
});
