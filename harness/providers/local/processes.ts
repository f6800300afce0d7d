import { fileURLToPath } from 'node:url';
import type { Identity } from '../../workloads/identity.js';
import type { ClientPlan, InstancePlan } from './address-plan.js';

// argv for the processes a local environment runs. Pure.

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = fileURLToPath(import.meta.resolve('tsx'));

function nodeScript(relativePath: string): string[] {
  return [process.execPath, '--import', TSX, `${REPO_ROOT}${relativePath}`];
}

export function echoArgv(instance: InstancePlan, identity: Identity): string[] {
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
  ];
}

export function haproxyArgv(configFile: string): string[] {
  return ['haproxy', '-db', '-f', configFile];
}

export function driverArgv(client: ClientPlan, opts: { rate: number; timeoutMs: number; maxDurationMs: number; startAt: number; out: string }): string[] {
  return [
    ...nodeScript('harness/traffic/driver.ts'),
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
  ];
}
