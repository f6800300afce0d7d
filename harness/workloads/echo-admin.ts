// Calls the echo server's admin endpoint from inside its pod, where the admin
// listener sits on loopback: `kubectl exec <pod> -c echo -- node --import tsx
// harness/workloads/echo-admin.ts drain`. Exits 0 when the echo confirmed.
// Usage: echo-admin <drain|restore|state|fail|slow> [--port 9080] [--query 'status=503&ratio=0.5']
import { parseArgs } from 'node:util';

const ACTIONS = { drain: 'POST', restore: 'POST', state: 'GET', fail: 'POST', slow: 'POST' } as const;

const { values, positionals } = parseArgs({ allowPositionals: true, options: { port: { type: 'string', default: '9080' }, query: { type: 'string', default: '' } } });
const action = positionals[0] as keyof typeof ACTIONS | undefined;
if (!action || !(action in ACTIONS) || positionals.length !== 1) {
  console.error(`usage: echo-admin <${Object.keys(ACTIONS).join('|')}> [--port 9080] [--query Q]`);
  process.exit(2);
}
try {
  const query = values.query ? `?${new URLSearchParams(values.query).toString()}` : '';
  const res = await fetch(`http://127.0.0.1:${values.port}/${action}${query}`, { method: ACTIONS[action], signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  console.log(text);
  process.exit(res.ok ? 0 : 1);
} catch (error) {
  console.error(`echo admin ${action} failed: ${String(error)}`);
  process.exit(1);
}
