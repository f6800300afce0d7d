import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Executor } from '../exec/index.js';

// The traffic driver runs as one plain JavaScript file that esbuild bundles
// from driver.ts (undici included), started with plain `node`, not through
// tsx. tsx's ESM hooks live on a thread of their own for the whole life of the
// process, and that thread's own garbage collections (Mark-Compact of 21-33 ms
// seen with --trace-gc while the driver ran) take one of this machine's two
// cores from the driver or its target. Measured turn about, eight runs each at
// 10k req/s: lag p99 over the whole run 1.75-19.3 ms through tsx (median 5.9;
// four of them with V8's memory reducer off, which did not help) and
// 0.55-23.4 ms bundled (median 2.0; the 23.4 in a phase where autocannon fell
// to 31k). Building takes about 0.3 s.

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DRIVER_SOURCE = 'harness/traffic/driver.ts';
/**
 * Where the local provider builds it, in the run's report directory: built for
 * each run, so never stale, and written where the user running the harness can
 * write (not the repository: a user who does not own it, as in the tests run as
 * nobody, could not). Removed at teardown.
 */
export const RUN_DRIVER_BUNDLE = 'logs/driver.mjs';
/** Where the kind image has it (built by the Dockerfile with the same argv). */
export const IMAGE_DRIVER_BUNDLE = 'dist/driver.mjs';

/**
 * esbuild's own launcher: a Node script that runs its platform binary, run
 * with this node (not whatever `node` is on PATH); esbuild's installer may
 * have put the binary itself in its place.
 */
function esbuildCommand(): string[] {
  let bin: string;
  try {
    bin = join(dirname(createRequire(import.meta.url).resolve('esbuild/package.json')), 'bin/esbuild');
  } catch {
    throw new Error('esbuild is not installed, and the traffic driver is bundled with it: run `npm ci` in the repository');
  }
  // Its first two bytes tell: a script starts with "#!" (the binary, if it is one, is megabytes: not read whole).
  const head = Buffer.alloc(2);
  const fd = openSync(bin, 'r');
  try {
    readSync(fd, head, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  const script = head.toString() === '#!';
  return script ? [process.execPath, bin] : [bin];
}

/** The esbuild argv that bundles the driver into `outFile`. Pure but for finding esbuild. */
export function driverBundleArgv(outFile: string, esbuild = esbuildCommand()): string[] {
  return [
    ...esbuild,
    join(REPO_ROOT, DRIVER_SOURCE),
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--target=node20',
    `--outfile=${outFile}`,
    '--log-level=warning',
    // undici is CommonJS: its require() of Node's modules needs a real require in an ES module.
    "--banner:js=import { createRequire as __fhRequire } from 'node:module'; const require = __fhRequire(import.meta.url);",
  ];
}

/** Builds the driver into `outFile` (written beside it, then renamed: a run starting at the same time never reads half a file). */
export async function buildDriverBundle(exec: Executor, outFile: string): Promise<string> {
  mkdirSync(dirname(outFile), { recursive: true });
  const partial = `${outFile}.${process.pid}.${Date.now()}.tmp.mjs`;
  try {
    await exec.run(driverBundleArgv(partial), { context: 'build the traffic driver', timeoutMs: 60_000 });
    renameSync(partial, outFile);
  } finally {
    rmSync(partial, { force: true });
  }
  return outFile;
}
