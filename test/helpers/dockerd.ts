import { execa, type ResultPromise } from 'execa';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

// A private Docker engine for tests: its own socket, data root and exec root,
// no default bridge. Started and stopped by the test; the host's iptables
// rules are saved before and restored after (a stopped dockerd leaves its
// FORWARD policy and chains behind).

export interface TestDocker {
  host: string;
  docker: (...args: string[]) => Promise<string>;
  stop: () => Promise<void>;
}

const ENGINE_COMM = /^(dockerd|containerd)/;

/** Live (non-zombie) engine processes: dockerd, containerd and containerd-shim*. */
export async function engineProcesses(): Promise<{ pid: number; comm: string; args: string }[]> {
  const { stdout } = await execa('ps', ['-eo', 'pid=,stat=,comm=,args=']);
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && ENGINE_COMM.test(f[2]!) && !f[1]!.startsWith('Z'))
    .map((f) => ({ pid: Number(f[0]), comm: f[2]!, args: f.slice(3).join(' ') }));
}

/**
 * Pids of this engine's processes: those whose command line names its private
 * root, plus any engine process that did not exist before it started (a
 * shim's command line does not always carry the root). Zombies are dead
 * already and wait only for their parent to reap them, so they do not count.
 */
async function enginePids(root: string, before: Set<number>): Promise<number[]> {
  return (await engineProcesses()).filter((p) => p.args.includes(root) || !before.has(p.pid)).map((p) => p.pid).filter((pid) => pid !== process.pid);
}

/** "family name" of every nftables table (iptables-nft keeps its tables there). */
async function nftTables(): Promise<string[]> {
  const { stdout } = await execa('nft', ['list', 'tables']);
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('table '))
    .map((l) => l.slice('table '.length).trim());
}

export interface DockerdOptions {
  /** Images kept across runs (the kind-live suite's built images); default: inside the private root, removed after. */
  dataRoot?: string;
  /** Default vfs (no overlay needed); the kind-live suite uses overlay2 for its node images. */
  storageDriver?: string;
  /** A runc wrapper registered as the default runtime (test/kind-live/runc-without-sys-resource). */
  runtime?: string;
  /** Keep Docker's default bridge (image builds reach the package registries through it); default: none. */
  defaultBridge?: boolean;
}

export async function startDockerd(o: DockerdOptions = {}): Promise<TestDocker> {
  const root = mkdtempSync(join(tmpdir(), 'fh-dockerd-'));
  const socket = join(root, 'docker.sock');
  const host = `unix://${socket}`;
  const saved = (await execa('iptables-save')).stdout;
  const tablesBefore = await nftTables();
  const before = new Set((await engineProcesses()).map((p) => p.pid));
  const daemon: ResultPromise = execa(
    'dockerd',
    [
      ...['--host', host, '--data-root', o.dataRoot ?? join(root, 'data'), '--exec-root', join(root, 'exec'), '--pidfile', join(root, 'dockerd.pid')],
      ...['--storage-driver', o.storageDriver ?? 'vfs', ...(o.defaultBridge ? [] : ['--bridge', 'none']), '--ip6tables=false'],
      ...(o.runtime ? ['--add-runtime', `fh-runc=${o.runtime}`, '--default-runtime', 'fh-runc'] : []),
    ],
    { reject: false, all: true, buffer: true },
  );
  const docker = async (...args: string[]) => (await execa('docker', ['-H', host, ...args])).stdout;
  for (let i = 0; i < 100; i++) {
    if (await docker('info', '--format', '{{.ServerVersion}}').then(() => true, () => false)) break;
    if (daemon.exitCode !== null && daemon.exitCode !== undefined) throw new Error(`dockerd exited: ${String((await daemon).all).slice(-2000)}`);
    await delay(200);
  }
  return {
    host,
    docker,
    stop: async () => {
      daemon.kill('SIGTERM');
      const timer = setTimeout(() => daemon.kill('SIGKILL'), 20_000);
      await daemon;
      clearTimeout(timer);
      // containerd and its shims outlive dockerd for a moment: wait for this
      // engine's processes (their command lines name its private root) to go,
      // and kill any that do not.
      for (let i = 0; i < 75 && (await enginePids(root, before)).length > 0; i++) await delay(200);
      for (const pid of await enginePids(root, before)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone between the listing and the kill.
        }
      }
      for (let i = 0; i < 50 && (await enginePids(root, before)).length > 0; i++) await delay(200);
      // Put back the rules that existed, and drop the tables dockerd created.
      await execa('iptables-restore', { input: `${saved}\n` });
      for (const table of await nftTables()) {
        if (!tablesBefore.includes(table)) await execa('nft', ['delete', 'table', ...table.split(' ')]);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A binary and the shared libraries `ldd` says it loads (the loader included). */
async function withLibraries(binary: string): Promise<string[]> {
  const { stdout } = await execa('ldd', [binary]);
  const libs = stdout
    .split('\n')
    .map((l) => l.trim().match(/(?:=>\s*)?(\/\S+)\s+\(0x/)?.[1])
    .filter((x): x is string => Boolean(x));
  return [binary, ...libs];
}

/**
 * A tiny image that stands in for a kind node: busybox-static, imported with
 * `docker import`; `binaries` (e.g. the host's etcd and curl) are copied in
 * with their shared libraries, at the same paths.
 */
export async function importStandIn(docker: TestDocker['docker'], tag: string, binaries: readonly string[] = [], files: Record<string, string> = {}): Promise<void> {
  const rootfs = mkdtempSync(join(tmpdir(), 'fh-rootfs-'));
  mkdirSync(join(rootfs, 'bin'));
  mkdirSync(join(rootfs, 'etc/kubernetes/manifests'), { recursive: true });
  mkdirSync(join(rootfs, 'root'));
  mkdirSync(join(rootfs, 'tmp'));
  const busybox = existsSync('/bin/busybox') ? '/bin/busybox' : '/usr/bin/busybox';
  copyFileSync(busybox, join(rootfs, 'bin/busybox'));
  for (const tool of ['sh', 'sleep', 'mv', 'rm', 'test', 'ls', 'cat', 'touch', 'head', 'grep']) symlinkSync('busybox', join(rootfs, 'bin', tool));
  for (const binary of binaries) {
    for (const file of await withLibraries(binary)) {
      mkdirSync(join(rootfs, dirname(file)), { recursive: true });
      // copyFileSync follows symlinks: the image gets the files themselves.
      if (!existsSync(join(rootfs, file))) copyFileSync(file, join(rootfs, file));
    }
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(rootfs, dirname(path)), { recursive: true });
    writeFileSync(join(rootfs, path), text);
  }
  const tar = join(tmpdir(), `fh-rootfs-${process.pid}.tar`);
  await execa('tar', ['-cf', tar, '-C', rootfs, '.']);
  await docker('import', tar, tag);
  rmSync(rootfs, { recursive: true, force: true });
  rmSync(tar, { force: true });
}

/**
 * The host's firewall as text, without packet counters (they move with any
 * traffic and say nothing about rules left behind).
 */
export async function firewallRules(): Promise<string> {
  return (await execa('iptables-save')).stdout
    .replace(/^#.*$/gm, '')
    .replace(/\[\d+:\d+\]/g, '[0:0]')
    .trim();
}
