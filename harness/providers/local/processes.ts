import { fileURLToPath } from 'node:url';
import type { Capacity } from '../../core/topology.js';
import type { Identity } from '../../workloads/identity.js';
import { capacityArgs } from '../../workloads/capacity.js';
import { K6_SCRIPT, k6Env, k6RunArgs } from '../../traffic/k6/run.js';
import type { ClientPlan, InstancePlan, MemberPlan } from './address-plan.js';

// argv for the processes a local environment runs. Pure.

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = fileURLToPath(import.meta.resolve('tsx'));

function nodeScript(relativePath: string): string[] {
  return [process.execPath, '--import', TSX, `${REPO_ROOT}${relativePath}`];
}

export function echoArgv(instance: InstancePlan, identity: Identity, capacity?: Capacity): string[] {
  return [
    ...nodeScript('harness/workloads/echo-server.ts'),
    '--identity',
    JSON.stringify(identity),
    '--host',
    instance.host,
    '--port',
    String(instance.port),
    '--admin-host',
    instance.host,
    '--admin-port',
    String(instance.adminPort),
    ...capacityArgs(capacity),
  ];
}

/**
 * An Envoy sidecar. No hot restart (no shared memory left in /dev/shm, several
 * at once), two workers as an Istio sidecar has by default, warnings only, and
 * Istio's drain settings (pilot-agent starts Envoy with --drain-time-s 45
 * --drain-strategy immediate).
 */
export function envoyArgv(binary: string, configFile: string): string[] {
  return [binary, '-c', configFile, '--disable-hot-restart', '--concurrency', '2', '-l', 'warning', '--drain-time-s', '45', '--drain-strategy', 'immediate'];
}

/** The harness's driver, run from its bundle (`bundle`, built by traffic/driver-bundle.ts) with plain node. */
export function driverArgv(client: ClientPlan, opts: { rate: number; timeoutMs: number; maxDurationMs: number; startAt: number; out: string; bundle: string; summary: string }): string[] {
  return [
    process.execPath,
    opts.bundle,
    '--client',
    client.client,
    '--target',
    `http://${client.listen.host}:${client.listen.port}/`,
    '--rate',
    String(opts.rate),
    '--timeout-ms',
    String(opts.timeoutMs),
    '--max-duration-ms',
    String(Math.round(opts.maxDurationMs)),
    '--start-at',
    String(Math.round(opts.startAt)),
    '--out',
    opts.out,
    '--summary',
    opts.summary,
  ];
}

/** k6 running the harness's k6 script; samples go to `jsonOut` (ingested into records when it stops). */
export function k6Argv(client: ClientPlan, opts: { rate: number; timeoutMs: number; maxDurationMs: number; startAt: number; jsonOut: string }): string[] {
  const env = k6Env({ ...opts, client: client.client, target: `http://${client.listen.host}:${client.listen.port}/` });
  return ['k6', ...k6RunArgs(opts.jsonOut), ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]), `${REPO_ROOT}${K6_SCRIPT}`];
}

const url = (host: string, port: number) => `http://${host}:${port}`;

/** etcd with its default timings (heartbeat 100 ms, election 1000 ms), named so the experiment can refer to members. */
export function etcdArgv(member: MemberPlan, all: readonly MemberPlan[], dataDir: string, token: string): string[] {
  return [
    'etcd',
    '--name', member.name,
    '--data-dir', dataDir,
    '--listen-client-urls', url(member.host, member.clientPort),
    '--advertise-client-urls', url(member.host, member.clientPort),
    '--listen-peer-urls', url(member.host, member.peerPort),
    '--initial-advertise-peer-urls', url(member.host, member.peerPort),
    '--initial-cluster', all.map((m) => `${m.name}=${url(m.host, m.peerPort)}`).join(','),
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', token,
    '--heartbeat-interval', '100',
    '--election-timeout', '1000',
    '--logger', 'zap',
    '--log-level', 'warn',
  ];
}
