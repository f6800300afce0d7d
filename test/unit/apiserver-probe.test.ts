import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { systemClock } from '../../harness/core/clock.js';
import { ApiServerProbeClient, classifyApiError, configMapName, LABEL_RUN, PROBE_NAMESPACE } from '../../harness/probes/apiserver-client.js';
import { ControlPlaneProbe } from '../../harness/probes/control-plane-probe.js';

// The API-server probe client's HTTP behaviour through @kubernetes/client-node:
// which requests it sends (paths, quorum vs. watch-cache reads, selectors),
// that its per-attempt deadline fires, and how it classifies failures. The
// far end is a small ConfigMap endpoint written for this test on loopback,
// not a kube-apiserver (none can run here; docs/providers.md says so).

type Mode = 'ok' | 'no-quorum' | 'hang' | 'refuse';

interface Stored {
  name: string;
  labels: Record<string, string>;
  data: Record<string, string>;
}

let server: Server;
let mode: Mode = 'ok';
const store = new Map<string, Stored>();
const seen: { method: string; path: string; query: URLSearchParams }[] = [];
let port = 0;

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
const status = (code: number, message: string, reason: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
const asObject = (s: Stored) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: s.name, namespace: PROBE_NAMESPACE, labels: s.labels }, data: s.data });

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  seen.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams });
  let text = '';
  for await (const chunk of req) text += chunk;
  if (mode === 'hang') return; // never answers: the client's deadline must fire
  const base = `/api/v1/namespaces/${PROBE_NAMESPACE}/configmaps`;
  const fromCache = url.searchParams.get('resourceVersion') === '0';
  // Without quorum, etcd times out every write and quorum read; the watch cache still answers.
  if (mode === 'no-quorum' && !(req.method === 'GET' && url.pathname === base && fromCache)) {
    return send(res, 500, status(500, 'etcdserver: request timed out', 'InternalError'));
  }
  if (req.method === 'POST' && url.pathname === base) {
    const body = JSON.parse(text) as { metadata: { name: string; labels: Record<string, string> }; data: Record<string, string> };
    if (store.has(body.metadata.name)) return send(res, 409, status(409, 'already exists', 'AlreadyExists'));
    const s = { name: body.metadata.name, labels: body.metadata.labels, data: body.data };
    store.set(s.name, s);
    return send(res, 201, asObject(s));
  }
  if (req.method === 'GET' && url.pathname.startsWith(`${base}/`)) {
    const s = store.get(url.pathname.slice(base.length + 1));
    return s ? send(res, 200, asObject(s)) : send(res, 404, status(404, 'not found', 'NotFound'));
  }
  if (req.method === 'GET' && url.pathname === base) {
    const field = url.searchParams.get('fieldSelector')?.replace(/^metadata\.name=/, '');
    const labels = (url.searchParams.get('labelSelector') ?? '').split(',').filter(Boolean).map((kv) => kv.split('='));
    const items = [...store.values()].filter((s) => (field === undefined || s.name === field) && labels.every(([k, v]) => s.labels[k!] === v));
    return send(res, 200, { apiVersion: 'v1', kind: 'ConfigMapList', metadata: {}, items: items.map(asObject) });
  }
  send(res, 404, status(404, 'no route', 'NotFound'));
}

function kubeConfig(serverPort: number): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: `http://127.0.0.1:${serverPort}`, skipTLSVerify: true }],
    users: [{ name: 'test', token: 'probe-test' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
    currentContext: 'test',
  });
  return kc;
}

function client(serverPort = port, runId = 'r1'): ApiServerProbeClient {
  return new ApiServerProbeClient({ kubeConfig: kubeConfig(serverPort), runId, endpoint: 'apiserver', status: async (member) => ({ leader: member === 'm1' ? 'm1' : null, term: null }) });
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('API-server probe client', () => {
  it('names ConfigMaps validly from probe keys', () => {
    expect(configMapName('/failover-harness/ab12cd/00000042')).toBe('failover-harness-ab12cd-00000042');
    expect(configMapName(`/x/${'A'.repeat(400)}`)).toMatch(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/);
  });

  it('writes a ConfigMap per key, reads by GET (quorum) and by LIST resourceVersion=0 (cache), reads back by label', async () => {
    mode = 'ok';
    seen.length = 0;
    const c = client();
    expect(await c.write('/failover-harness/r1/00000001', 'v1', 1000, 500)).toEqual({ ok: true, member: 'apiserver', error: null, value: null });
    expect(seen[0]).toMatchObject({ method: 'POST', path: `/api/v1/namespaces/${PROBE_NAMESPACE}/configmaps` });
    expect(store.get('failover-harness-r1-00000001')?.labels[LABEL_RUN]).toBe('r1');

    expect((await c.read('/failover-harness/r1/00000001', false, 1000, 500)).value).toBe('v1');
    expect(seen.at(-1)).toMatchObject({ method: 'GET', path: `/api/v1/namespaces/${PROBE_NAMESPACE}/configmaps/failover-harness-r1-00000001` });
    expect((await c.read('/failover-harness/r1/00000001', true, 1000, 500)).value).toBe('v1');
    expect(seen.at(-1)!.query.get('resourceVersion')).toBe('0');
    expect(seen.at(-1)!.query.get('fieldSelector')).toBe('metadata.name=failover-harness-r1-00000001');
    // A key that is not there is an answer, not a failure.
    expect(await c.read('/failover-harness/r1/missing', false, 1000, 500)).toMatchObject({ ok: true, value: null });

    await c.write('/failover-harness/r1/00000002', 'v2', 1000, 500);
    await client(port, 'other').write('/failover-harness/other/00000001', 'x', 1000, 500);
    const back = await c.readPrefix('/failover-harness/r1/', 1000);
    expect(back).toEqual(new Map([['/failover-harness/r1/00000001', 'v1'], ['/failover-harness/r1/00000002', 'v2']]));
    expect(seen.at(-1)!.query.get('resourceVersion')).toBeNull();
  });

  it('without quorum: writes and quorum reads fail as timeouts, cache reads still answer', async () => {
    mode = 'no-quorum';
    const c = client();
    const w = await c.write('/failover-harness/r1/00000003', 'v3', 300, 100);
    expect(w).toMatchObject({ ok: false, error: 'timeout' });
    expect(await c.read('/failover-harness/r1/00000001', false, 300, 100)).toMatchObject({ ok: false, error: 'timeout' });
    expect(await c.read('/failover-harness/r1/00000001', true, 300, 100)).toMatchObject({ ok: true, value: 'v1' });
    mode = 'ok';
  });

  it('each attempt has a deadline: a hung API server costs the budget, not more', async () => {
    mode = 'hang';
    const c = client();
    const started = Date.now();
    const r = await c.write('/failover-harness/r1/00000004', 'v4', 600, 200);
    const took = Date.now() - started;
    mode = 'ok';
    expect(r).toMatchObject({ ok: false, error: 'timeout' });
    expect(took).toBeGreaterThanOrEqual(550);
    expect(took).toBeLessThan(3000);
  });

  it('a refused connection is "unavailable"', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await client(deadPort).write('/failover-harness/r1/x', 'x', 300, 100)).toMatchObject({ ok: false, error: 'unavailable' });
    expect(classifyApiError(Object.assign(new Error('HTTP-Code: 429'), { code: 429 }))).toBe('throttled');
  });

  it('drives the shared control-plane probe: same records, acknowledged writes read back', async () => {
    mode = 'ok';
    const dir = mkdtempSync(join(tmpdir(), 'fh-apiprobe-'));
    const file = join(dir, 'control-plane.ndjson');
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const probe = new ControlPlaneProbe(client(port, 'r2'), systemClock, { runId: 'r2', intervalMs: 50, timeoutMs: 500, attemptMs: 200, members: ['m1', 'm2'], file });
    probe.start(Date.now());
    await new Promise((r) => setTimeout(r, 400));
    // Longer than a probe's 500 ms budget, so some writes give up.
    mode = 'no-quorum';
    await new Promise((r) => setTimeout(r, 900));
    mode = 'ok';
    await new Promise((r) => setTimeout(r, 300));
    const { probes, statuses } = await probe.stop();
    const writes = probes.filter((p) => p.probe === 'write');
    expect(writes.some((w) => w.ok)).toBe(true);
    expect(writes.some((w) => !w.ok && w.error === 'timeout')).toBe(true);
    expect(probes.filter((p) => p.probe === 'read-serializable').every((p) => p.ok)).toBe(true);
    expect(statuses.filter((s) => s.ok && s.leader === 'm1').length).toBeGreaterThan(0);
    const verdict = await probe.verify(2000);
    expect(verdict).toEqual({ acknowledged: writes.filter((w) => w.ok).length, lost: [] });
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBe(probes.length + statuses.length);
  });
});
