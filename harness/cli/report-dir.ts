import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { processStartTicks } from '../exec/index.js';
import { isSameProcess } from '../providers/local/proc-scan.js';

// The folder a run writes its reports to: checked writable before anything is
// provisioned, held by the run (a lock naming its pid) so a second run cannot
// write into it at the same time, and emptied of an earlier run's outputs so
// two runs never merge into one report.

const LOCK = '.fh-run.lock';
/** Everything a run writes into its report folder; an earlier run's are removed, nothing else is touched. */
const RUN_OUTPUTS = ['report.json', 'report.md', 'report.html', 'junit.xml', 'records', 'logs', 'sidecars', 'etcd', 'kind'];

export interface ReportDir {
  path: string;
  /** Whether an earlier run's outputs were removed. */
  replaced: boolean;
  release(): void;
}

export function prepareReportDir(dir: string | undefined, experiment: string): ReportDir {
  const path = resolve(dir ?? `reports/${new Date().toISOString().replace(/[:.]/g, '-')}-${experiment}`);
  // Kernel pseudo filesystems take writes they never keep (or hang on them): refuse them by name, where the
  // path really leads (a symlink into /proc/sys is followed first).
  const real = realPathOfNearest(path);
  if (/^\/(proc|sys|dev)(\/|$)/.test(real)) throw new UsageError(`--report-dir ${path}${real !== path ? ` (which leads to ${real})` : ''} is on a kernel pseudo filesystem`, 'choose a folder on a real filesystem, e.g. --report-dir /tmp/my-run');
  if (existsSync(path) && !statSync(path).isDirectory()) throw new UsageError(`--report-dir ${path} exists and is not a directory`);
  try {
    mkdirSync(path, { recursive: true });
    // Written and removed now, before anything is provisioned: a read-only folder fails here, not after the run.
    const probe = join(path, `.fh-write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (error) {
    throw new UsageError(`cannot write reports to ${path}: ${(error as Error).message}`, 'choose a writable folder with --report-dir');
  }
  const lock = join(path, LOCK);
  const holder = readLock(lock);
  if (holder && isSameProcess(holder.pid, holder.startTicks)) {
    throw new UsageError(`--report-dir ${path} is in use by a run still going (pid ${holder.pid})`, 'choose another --report-dir, or wait until that run has finished');
  }
  // Ours now (a dead holder's lock is replaced). Two runs starting in the same instant: 'wx' lets one win.
  if (holder) rmSync(lock, { force: true });
  try {
    writeFileSync(lock, `${JSON.stringify({ pid: process.pid, startTicks: processStartTicks(process.pid) })}\n`, { flag: 'wx' });
  } catch {
    throw new UsageError(`--report-dir ${path} was just taken by another run`, 'choose another --report-dir');
  }
  let replaced = false;
  for (const name of RUN_OUTPUTS) {
    if (!existsSync(join(path, name))) continue;
    rmSync(join(path, name), { recursive: true, force: true });
    replaced = true;
  }
  return { path, replaced, release: () => rmSync(lock, { force: true }) };
}

/** The real path of `path`, or of its nearest existing ancestor with the rest appended (the folder may not exist yet). */
function realPathOfNearest(path: string): string {
  let rest = '';
  for (let at = path; ; at = dirname(at)) {
    try {
      return join(realpathSync(at), rest);
    } catch {
      if (dirname(at) === at) return path;
      rest = join(basename(at), rest);
    }
  }
}

function readLock(lock: string): { pid: number; startTicks: number | undefined } | undefined {
  if (!existsSync(lock)) return undefined;
  try {
    const v = JSON.parse(readFileSync(lock, 'utf8')) as { pid?: unknown; startTicks?: unknown };
    if (typeof v.pid === 'number') return { pid: v.pid, startTicks: typeof v.startTicks === 'number' ? v.startTicks : undefined };
  } catch {
    // torn: its writer died while writing it
  }
  return { pid: -1, startTicks: undefined };
}
