import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Executor } from '../../harness/exec/index.js';
import { buildDriverBundle, driverBundleArgv } from '../../harness/traffic/driver-bundle.js';

// The build's own bookkeeping, with esbuild stood in for: the real build is run by
// test/integration/driver-process.test.ts.
const dir = mkdtempSync(join(tmpdir(), 'fh-driver-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An executor that writes what esbuild would (part of it) to --outfile, then succeeds or fails. */
function esbuildStandIn(fail: boolean): Executor {
  return {
    run: async (argv) => {
      const out = argv.find((a) => a.startsWith('--outfile='))!.slice('--outfile='.length);
      writeFileSync(out, 'export {};\n');
      if (fail) throw new Error('esbuild: build failed');
      return { stdout: '', stderr: '' };
    },
    spawn: () => {
      throw new Error('not used');
    },
  };
}

describe('building the driver bundle', () => {
  it('writes beside the target and renames: the bundle appears whole, nothing else is left', async () => {
    const out = join(dir, 'ok', 'driver.mjs');
    await expect(buildDriverBundle(esbuildStandIn(false), out)).resolves.toBe(out);
    expect(readdirSync(join(dir, 'ok'))).toEqual(['driver.mjs']);
  });

  it('a failed build fails the call and leaves no partial file and no bundle', async () => {
    const out = join(dir, 'failed', 'driver.mjs');
    await expect(buildDriverBundle(esbuildStandIn(true), out)).rejects.toThrow(/build failed/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(join(dir, 'failed'))).toEqual([]);
  });

  it('runs esbuild with this node when its launcher is a script, and bundles for ESM with a real require', () => {
    const argv = driverBundleArgv('/x/driver.mjs');
    expect(argv[0]).toBe(process.execPath);
    expect(argv).toEqual(expect.arrayContaining(['--bundle', '--format=esm', '--outfile=/x/driver.mjs']));
    expect(argv.some((a) => a.startsWith('--banner:js=') && a.includes('createRequire'))).toBe(true);
  });
});
