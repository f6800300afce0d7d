import { execa, type ResultPromise } from 'execa';
import { readFileSync } from 'node:fs';
import { RunError } from './run-error.js';

// The only module that spawns processes. Everything above takes an Executor,
// so tests and --dry-run can substitute their own.

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
  /** A short verb phrase prefixed to the error message ("create bridge"). */
  context?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  /** Append the child's stdout and stderr to this file. */
  logFile: string;
  env?: Record<string, string>;
}

/** A long-running child, in its own process group so a terminal Ctrl-C reaches only the harness. */
export interface ChildHandle {
  readonly pid: number;
  readonly argv: readonly string[];
  /** Resolves with the exit code (or signal name) once the child has exited; never rejects. */
  readonly exited: Promise<{ exitCode: number | undefined; signal: string | undefined }>;
  readonly hasExited: () => boolean;
  signal(signal: NodeJS.Signals): boolean;
}

export interface Executor {
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  spawn(argv: readonly string[], options: SpawnOptions): ChildHandle;
}

function assertArgv(argv: readonly string[]): asserts argv is readonly [string, ...string[]] {
  if (argv.length === 0 || !argv[0]) throw new Error('empty argv');
}

export const realExecutor: Executor = {
  async run(argv, options = {}) {
    assertArgv(argv);
    const [file, ...args] = argv;
    const result = await execa(file, args, {
      reject: false,
      input: options.input,
      timeout: options.timeoutMs,
      env: options.env,
      stripFinalNewline: true,
    });
    if (result.failed) {
      const notFound = (result as { code?: string }).code === 'ENOENT';
      throw new RunError(
        {
          argv,
          stdout: String(result.stdout ?? ''),
          stderr: String(result.stderr ?? ''),
          exitCode: result.exitCode,
          signal: result.signal,
          timedOut: result.timedOut,
          notFound,
        },
        options.context,
      );
    }
    return { stdout: String(result.stdout), stderr: String(result.stderr) };
  },

  spawn(argv, options) {
    assertArgv(argv);
    const [file, ...args] = argv;
    const child: ResultPromise = execa(file, args, {
      reject: false,
      detached: true,
      cleanup: false,
      stdin: 'ignore',
      stdout: { file: options.logFile, append: true },
      stderr: { file: options.logFile, append: true },
      env: options.env,
      buffer: false,
    });
    if (child.pid === undefined) throw new RunError({ argv, stdout: '', stderr: '', exitCode: undefined, signal: undefined, timedOut: false, notFound: true });
    let done = false;
    const exited = child.then(
      (r) => {
        done = true;
        return { exitCode: r.exitCode, signal: r.signal };
      },
      () => {
        done = true;
        return { exitCode: undefined, signal: undefined };
      },
    );
    const pid = child.pid;
    return {
      pid,
      argv,
      exited,
      hasExited: () => done,
      signal: (sig) => {
        if (done) return false;
        try {
          process.kill(pid, sig);
          return true;
        } catch {
          return false;
        }
      },
    };
  },
};

/**
 * Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat),
 * recorded with a pid so cleanup never signals a recycled pid.
 */
export function processStartTicks(pid: number): number | undefined {
  return processStat(pid)?.startTicks;
}

/**
 * State (R, S, D, Z = zombie: dead, not yet reaped, X = dead) and start time of
 * a process, from /proc/PID/stat; undefined when there is no such process.
 */
export function processStat(pid: number): { state: string; startTicks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', startTicks: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

