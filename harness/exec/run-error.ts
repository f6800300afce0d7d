// One structured error for a failed command (after kind's exec.RunError):
// argv, output and exit code, with a form that can be pasted into a shell.

export interface CommandOutcome {
  argv: readonly string[];
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
}

export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function formatArgv(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * What of a failed command's stderr goes into its error message: the last three
 * lines, after the first line that says ERROR when there is one above them.
 * kind prints its reason first and a Go stack trace under it, so the last
 * lines alone were `runtime/asm_amd64.s:1693` and said nothing.
 */
export function stderrDetail(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const tail = lines.slice(-3);
  const first = lines.slice(0, -3).find((l) => /^(ERROR|Error|error)\b/.test(l));
  return [...(first ? [first.length > 600 ? `${first.slice(0, 600)}…` : first, '…'] : []), ...tail].join(' | ');
}

export class RunError extends Error implements CommandOutcome {
  readonly argv: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  /** The binary was not found on PATH. */
  readonly notFound: boolean;

  constructor(outcome: CommandOutcome & { notFound?: boolean }, context?: string) {
    const why = outcome.notFound
      ? 'command not found'
      : outcome.timedOut
        ? 'timed out'
        : outcome.signal
          ? `killed by ${outcome.signal}`
          : `exit code ${outcome.exitCode}`;
    const detail = stderrDetail(outcome.stderr);
    super(`${context ? `${context}: ` : ''}${formatArgv(outcome.argv)} failed (${why})${detail ? `: ${detail}` : ''}`);
    this.name = 'RunError';
    this.argv = outcome.argv;
    this.stdout = outcome.stdout;
    this.stderr = outcome.stderr;
    this.exitCode = outcome.exitCode;
    this.signal = outcome.signal;
    this.timedOut = outcome.timedOut;
    this.notFound = outcome.notFound ?? false;
  }

  /** The command as a shell line, for a person to reproduce it. */
  pretty(): string {
    return formatArgv(this.argv);
  }
}
