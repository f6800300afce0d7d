// The echo service: answers every request with who served it, and has an admin
// listener to drain (stop accepting) and restore its main listener, and to
// inject gray failures: answer some requests with an error status (`/fail`)
// or late (`/slow`). Those come from upstream, so the client's sidecar sees
// them as Envoy would and its outlier detection can act on them. /healthz is
// never affected: a gray instance still passes its readiness probe.
// Usage: echo-server --identity JSON --host H --port P --admin-host H --admin-port P
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { isIdentity } from './identity.js';
import { Limiter } from './capacity.js';

const { values } = parseArgs({
  options: {
    identity: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'admin-host': { type: 'string' },
    'admin-port': { type: 'string' },
    capacity: { type: 'string' },
    overflow: { type: 'string' },
  },
});
const parsed: unknown = JSON.parse(values.identity ?? 'null');
if (!isIdentity(parsed) || !values.host || !values.port || !values['admin-host'] || !values['admin-port']) {
  console.error('usage: echo-server --identity JSON --host H --port P --admin-host H --admin-port P');
  process.exit(2);
}
const identity = parsed;
const capacity = values.capacity === undefined ? undefined : Number(values.capacity);
if (capacity !== undefined && !(capacity > 0)) {
  console.error('echo-server: --capacity must be a positive number of requests per second');
  process.exit(2);
}
const overflow = values.overflow === 'queue' ? 'queue' : 'shed';
const limiter = capacity === undefined ? undefined : new Limiter(capacity, Date.now());
/** Load counters, in /state: requests served, shed above capacity, and the longest queue wait. */
const load = { served: 0, shed: 0, maxQueueMs: 0 };
const body = JSON.stringify(identity);
const port = Number(values.port);

/** Injected gray failures; /restore clears them. */
let failing: { status: number; ratio: number } | undefined;
let slow: { delayMs: number; jitterMs: number } | undefined;
/**
 * While a gray failure is on: when a request from each client (the driver's
 * x-fh-client header) last arrived. A slow answer may never reach the client
 * (its sidecar times out first), so this is how the harness knows when the
 * mesh stopped sending here. Epoch ms; kept until the next failure starts.
 */
let lastArrival: Record<string, number> = {};

function answer(res: ServerResponse): void {
  // An injected error still says who answered (body and header), so the records show which instance failed.
  const status = failing && Math.random() < failing.ratio ? failing.status : 200;
  res.writeHead(status, { 'content-type': 'application/json', 'x-served-by': identity.instance }).end(body);
}

function serve(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  const client = req.headers['x-fh-client'];
  if ((failing || slow) && typeof client === 'string') lastArrival[client] = Date.now();
  if (limiter && overflow === 'shed' && !limiter.take(Date.now())) {
    // Over capacity: shed, still saying who answered.
    load.shed++;
    res.writeHead(503, { 'content-type': 'application/json', 'x-served-by': identity.instance, 'x-shed': '1' }).end(body);
    return;
  }
  load.served++;
  const queued = limiter && overflow === 'queue' ? limiter.slot(Date.now()) : 0;
  load.maxQueueMs = Math.max(load.maxQueueMs, queued);
  if (!slow && queued === 0) return answer(res);
  const delay = queued + (slow ? Math.max(0, slow.delayMs + (Math.random() * 2 - 1) * slow.jitterMs) : 0);
  const timer = setTimeout(() => answer(res), delay);
  res.once('close', () => clearTimeout(timer));
}

/** A number query parameter, or undefined when absent or not a finite number. */
function param(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  const n = raw === null ? Number.NaN : Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

let main: Server | undefined;

function listen(): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer({ keepAliveTimeout: 30_000 }, serve);
    server.once('error', reject);
    server.listen({ host: values.host, port, backlog: 1024 }, () => {
      main = server;
      resolve();
    });
  });
}

/** Stop accepting and close open connections: peers see refused connects from now on. */
function drain(): Promise<void> {
  const server = main;
  main = undefined;
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const admin = createServer(async (req, res) => {
  req.resume();
  const url = new URL(req.url ?? '/', 'http://admin');
  try {
    if (req.method === 'POST' && url.pathname === '/drain') await drain();
    else if (req.method === 'POST' && url.pathname === '/fail') {
      const status = param(url, 'status') ?? 503;
      const ratio = param(url, 'ratio') ?? 1;
      if (!(status >= 400 && status <= 599 && ratio >= 0 && ratio <= 1)) {
        res.writeHead(400).end('fail: status 400–599 and ratio 0–1');
        return;
      }
      failing = { status, ratio };
      lastArrival = {};
    } else if (req.method === 'POST' && url.pathname === '/slow') {
      const delayMs = param(url, 'delayMs');
      const jitterMs = param(url, 'jitterMs') ?? 0;
      if (delayMs === undefined || delayMs < 0 || jitterMs < 0 || jitterMs > delayMs) {
        res.writeHead(400).end('slow: delayMs ≥ 0 and 0 ≤ jitterMs ≤ delayMs');
        return;
      }
      slow = { delayMs, jitterMs };
      lastArrival = {};
    } else if (req.method === 'POST' && url.pathname === '/restore') {
      failing = undefined;
      slow = undefined;
      if (!main) await listen();
    } else if (url.pathname !== '/state') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...identity, listening: main !== undefined, failing: failing ?? null, slow: slow ?? null, lastArrival, capacity: capacity ?? null, overflow, ...load }));
  } catch (error) {
    res.writeHead(500).end(String(error));
  }
});

await listen();
admin.listen({ host: values['admin-host'], port: Number(values['admin-port']) }, () => {
  console.log(`ready ${identity.instance} ${values.host}:${port}`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
