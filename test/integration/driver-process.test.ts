// The driver as a process: what a stop does before the agreed start.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { realExecutor } from '../../harness/exec/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = fileURLToPath(import.meta.resolve('tsx'));
const dir = mkdtempSync(join(tmpdir(), 'fh-driver-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the traffic driver process', () => {
  it('stopped during its warm-up, it sends nothing to the target and says so in its summary', async () => {
    let requests = 0;
    const server: Server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.on('data', () => requests++);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const out = join(dir, 'records.ndjson');
    const summary = join(dir, 'summary.json');
    // A 4 s lead at 2k req/s: the driver warms up for 3 s against its own loopback first.
    const startAt = Date.now() + 4000;
    const child = realExecutor.spawn(
      [process.execPath, '--import', TSX, join(ROOT, 'harness/traffic/driver.ts'), '--client', 'c', '--target', `http://127.0.0.1:${port}/`, '--rate', '2000', '--timeout-ms', '1000', '--max-duration-ms', '5000', '--start-at', String(startAt), '--out', out, '--summary', summary],
      { logFile: join(dir, 'driver.log') },
    );
    try {
      // Stopped once it has said when it starts (the warm-up runs right after).
      for (let i = 0; i < 100 && !readLog().includes('scheduled c'); i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      child.signal('SIGTERM');
      const { exitCode } = await child.exited;
      expect(exitCode).toBe(0);
      // Before the start, not after a whole run.
      expect(Date.now()).toBeLessThan(startAt);
    } finally {
      child.signal('SIGKILL');
      server.close();
    }
    expect(requests).toBe(0);
    expect(existsSync(summary)).toBe(true);
    const s = JSON.parse(readFileSync(summary, 'utf8')) as { scheduled: number; sent: number; recorded: number };
    expect(s).toMatchObject({ scheduled: 0, sent: 0, recorded: 0 });
    expect(readFileSync(out, 'utf8')).toBe('');
  });
});

function readLog(): string {
  const file = join(dir, 'driver.log');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
