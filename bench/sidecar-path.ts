// Part of npm run bench:driver: the path a local run's requests take, driver →
// Envoy sidecar (its bootstrap and EDS rendered as the local provider renders
// them) → echo instance, beside driver → echo on the same echo. Gives the
// latency the sidecar adds at 2k and 10k req/s and the highest rate held
// through it. Everything on loopback; every process is stopped before it returns.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { realExecutor, type ChildHandle } from '../harness/exec/index.js';
import { failoverPolicySchema } from '../harness/core/policy.js';
import { ECHO_HOST, ECHO_PORT, renderOutboundSidecar } from '../harness/mesh/istio/envoy-bootstrap.js';
import { outboundClusterName } from '../harness/mesh/istio/envoy-cluster.js';
import { renderEds } from '../harness/mesh/istio/envoy-endpoints.js';
import { envoyArgv } from '../harness/providers/local/processes.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSX = fileURLToPath(import.meta.resolve('tsx'));

export interface PathRun {
  rate: number;
  achievedRps: number;
  notSent: number;
  failed: number;
  scheduled: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  steadyLagP99Ms?: number | null;
}

/** A port the kernel has free on loopback now (shared with bench/driver.ts). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing answers at ${url}`);
}

const held = (r: PathRun) => r.failed === 0 && r.notSent <= r.scheduled * 0.01 && (r.steadyLagP99Ms ?? Infinity) <= 5;

export async function sidecarPath<R extends PathRun>(envoy: string, drive: (target: string, rate: number) => Promise<R>, log: (line: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'fh-bench-sidecar-'));
  const children: ChildHandle[] = [];
  const rows: { via: string; run: R; addedP50Ms: number | null; addedP99Ms: number | null }[] = [];
  let heldRps = 0;
  try {
    const [echoPort, adminPort, listenPort, envoyAdmin] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const locality = { cluster: 'bench', region: 'region-1', zone: 'zone-a', subzone: '' };
    const identity = JSON.stringify({ instance: 'svc-1', node: 'bench', ...locality });
    children.push(realExecutor.spawn([process.execPath, '--import', TSX, join(ROOT, 'harness/workloads/echo-server.ts'), '--identity', identity, '--host', '127.0.0.1', '--port', String(echoPort), '--admin-host', '127.0.0.1', '--admin-port', String(adminPort)], { logFile: join(dir, 'echo.log') }));
    const endpoints = [{ instance: 'svc-1', locality, host: '127.0.0.1', port: echoPort }];
    const policy = failoverPolicySchema.parse({});
    mkdirSync(join(dir, 'eds'));
    writeFileSync(join(dir, 'eds', 'echo.yaml'), stringify(renderEds({ cluster: outboundClusterName(ECHO_HOST, ECHO_PORT), client: locality, endpoints, policy, version: 1 })));
    writeFileSync(join(dir, 'envoy.yaml'), stringify(renderOutboundSidecar({ client: 'bench', clientLocality: locality, endpoints, policy, listen: { host: '127.0.0.1', port: listenPort }, admin: { host: '127.0.0.1', port: envoyAdmin }, edsPath: join(dir, 'eds', 'echo.yaml'), edsDir: join(dir, 'eds') })));
    children.push(realExecutor.spawn(envoyArgv(envoy, join(dir, 'envoy.yaml')), { logFile: join(dir, 'envoy.log') }));
    const direct = `http://127.0.0.1:${echoPort}/`;
    const viaSidecar = `http://127.0.0.1:${listenPort}/`;
    await waitFor(direct);
    await waitFor(viaSidecar);
    for (const rate of [2000, 10_000]) {
      log(`driver → echo at ${rate} req/s …`);
      const d = await drive(direct, rate);
      log(`driver → Envoy sidecar → echo at ${rate} req/s …`);
      const s = await drive(viaSidecar, rate);
      const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
      rows.push({ via: 'driver → echo', run: d, addedP50Ms: null, addedP99Ms: null });
      rows.push({ via: 'driver → Envoy → echo', run: s, addedP50Ms: diff(s.latencyP50Ms, d.latencyP50Ms), addedP99Ms: diff(s.latencyP99Ms, d.latencyP99Ms) });
      if (held(s)) heldRps = Math.max(heldRps, s.achievedRps);
    }
    // The highest rate the path holds: up from 12.5k in steps of 2.5k when 10k held, else up from 4k in steps of 2k.
    const tenHeld = held(rows.at(-1)!.run);
    for (let rate = tenHeld ? 12_500 : 4000; rate <= (tenHeld ? 30_000 : 8000); rate += tenHeld ? 2500 : 2000) {
      log(`driver → Envoy sidecar → echo at ${rate} req/s …`);
      const s = await drive(viaSidecar, rate);
      rows.push({ via: 'driver → Envoy → echo', run: s, addedP50Ms: null, addedP99Ms: null });
      if (!held(s)) break;
      heldRps = Math.max(heldRps, s.achievedRps);
    }
  } finally {
    for (const c of children) c.signal('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, heldRps, added: (rate: number) => rows.find((r) => r.run.rate === rate && r.via.includes('Envoy')) };
}
