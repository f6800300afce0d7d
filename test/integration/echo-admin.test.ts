import { execa, type ResultPromise } from 'execa';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { echoAdminCommand, type EchoAdminAction } from '../../harness/providers/kubernetes/echo-admin.js';

// The echo admin call the kind provider runs inside each echo pod
// (`kubectl exec … -- node -e <fetch of the admin port>`, echoAdminCommand),
// here, the very same command, against a real echo server on loopback: drain closes the listener,
// restore reopens it, fail and slow inject gray failures, and state reports
// when each client last arrived.

const PORT = 18_480 + (process.pid % 500);
const ADMIN = PORT + 1000;
let echo: ResultPromise;

/** `admin('fail', '--query', 'status=503')`: the command the pod runs, with node from PATH replaced by this node. */
const admin = (action: string, ...rest: string[]) => {
  const [, ...args] = echoAdminCommand(action as EchoAdminAction, rest[0] === '--query' ? rest[1] : '', ADMIN);
  return execa(process.execPath, args, { cwd: REPO, reject: false });
};
const get = () => fetch(`http://127.0.0.1:${PORT}/`, { headers: { 'x-fh-client': 'client-x' }, signal: AbortSignal.timeout(3000) });

beforeAll(async () => {
  const identity = JSON.stringify({ instance: 'svc-a-1', node: 'svc-a', cluster: 'c1', region: 'r', zone: 'z', subzone: '' });
  echo = execa(process.execPath, ['--import', 'tsx', 'harness/workloads/echo-server.ts', '--identity', identity, '--host', '127.0.0.1', '--port', String(PORT), '--admin-host', '127.0.0.1', '--admin-port', String(ADMIN)], { cwd: REPO, reject: false });
  for (let i = 0; i < 100; i++) {
    if (await get().then((r) => r.ok, () => false)) return;
    await delay(100);
  }
  throw new Error('echo did not start');
}, 30_000);

afterAll(async () => {
  echo.kill('SIGKILL');
  await echo;
});

describe('echo-admin, as run inside a kind pod', () => {
  it('drain closes the listener and restore reopens it', async () => {
    expect((await admin('drain')).exitCode).toBe(0);
    await expect(get()).rejects.toThrow();
    expect((await admin('restore')).exitCode).toBe(0);
    expect((await get()).status).toBe(200);
  });

  it('fail answers the error status with who answered; state says when the client last arrived; restore clears it', async () => {
    expect((await admin('fail', '--query', 'status=503&ratio=1')).exitCode).toBe(0);
    const before = Date.now();
    const res = await get();
    expect(res.status).toBe(503);
    expect(((await res.json()) as { instance: string }).instance).toBe('svc-a-1');
    const state = JSON.parse((await admin('state')).stdout) as { lastArrival: Record<string, number> };
    expect(state.lastArrival['client-x']).toBeGreaterThanOrEqual(before - 5);
    expect((await admin('restore')).exitCode).toBe(0);
    expect((await get()).status).toBe(200);
  });

  it('slow delays answers; a bad request or action exits non-zero', async () => {
    expect((await admin('slow', '--query', 'delayMs=400&jitterMs=0')).exitCode).toBe(0);
    const t = Date.now();
    expect((await get()).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(380);
    expect((await admin('restore')).exitCode).toBe(0);
    expect((await admin('fail', '--query', 'status=200')).exitCode).toBe(1);
    expect((await admin('explode')).exitCode).not.toBe(0);
  });
});
