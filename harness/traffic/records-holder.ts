// Keeps a kind client Job's pod alive after its driver finished, so the
// harness can copy the records out of the pod's emptyDir (kubectl exec cat)
// instead of reading container logs, which the kubelet rotates at 10 MiB and
// of which `kubectl logs` returns only the newest file. Exits once the
// harness writes <dir>/collected, or at --max-wait-ms whatever happens.
// Usage: records-holder --dir DIR --max-wait-ms N
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { dir: { type: 'string' }, 'max-wait-ms': { type: 'string' } } });
const maxWait = Number(values['max-wait-ms']);
if (!values.dir || !(maxWait > 0)) {
  console.error('usage: records-holder --dir DIR --max-wait-ms N');
  process.exit(2);
}
const marker = join(values.dir, 'collected');
const deadline = Date.now() + maxWait;
const poll = setInterval(() => {
  if (existsSync(marker) || Date.now() >= deadline) {
    clearInterval(poll);
    console.log(existsSync(marker) ? 'records collected' : 'records were not collected in time');
    process.exit(0);
  }
}, 200);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
