// The echo service: answers every request with who served it, and has an admin
// listener to drain (stop accepting) and restore its main listener.
// Usage: echo-server --identity JSON --host H --port P --admin-host H --admin-port P
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { isIdentity } from './identity.js';

const { values } = parseArgs({
  options: {
    identity: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'admin-host': { type: 'string' },
    'admin-port': { type: 'string' },
  },
});
const parsed: unknown = JSON.parse(values.identity ?? 'null');
if (!isIdentity(parsed) || !values.host || !values.port || !values['admin-host'] || !values['admin-port']) {
  console.error('usage: echo-server --identity JSON --host H --port P --admin-host H --admin-port P');
  process.exit(2);
}
const identity = parsed;
const body = JSON.stringify(identity);
const port = Number(values.port);

function serve(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': identity.instance }).end(body);
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
  try {
    if (req.method === 'POST' && req.url === '/drain') await drain();
    else if (req.method === 'POST' && req.url === '/restore') {
      if (!main) await listen();
    } else if (req.url !== '/state') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...identity, listening: main !== undefined }));
  } catch (error) {
    res.writeHead(500).end(String(error));
  }
});

await listen();
admin.listen({ host: values['admin-host'], port: Number(values['admin-port']) }, () => {
  console.log(`ready ${identity.instance} ${values.host}:${port}`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
