// Error classes that carry their exit code, so the CLI maps failures to the
// documented contract (0 pass, 1 assertion failed, 2 bad input, 3 environment,
// 4 internal error, 130 interrupted) without string matching.

export const ExitCode = {
  ok: 0,
  assertionFailed: 1,
  usage: 2,
  environment: 3,
  /** A bug in the harness: the run was reverted and torn down, and report.json says what went wrong. */
  internal: 4,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class HarnessError extends Error {
  readonly exitCode: ExitCode;
  /** What the user can do about it, printed after the message. */
  readonly hint: string | undefined;
  constructor(message: string, exitCode: ExitCode, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

/** Bad input: a file, an option or an expression that cannot be used as given. */
export class UsageError extends HarnessError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.usage, hint);
  }
}

/** The machine lacks something: a binary, a permission, a kernel feature. */
export class EnvironmentError extends HarnessError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, ExitCode.environment, hint, options);
  }
}

/**
 * An error nobody expected (a bug): caught by the CLI's top-level guard, it
 * aborts the run like Ctrl-C does (revert, teardown, report) and exits 4.
 */
export class InternalError extends HarnessError {
  constructor(cause: unknown) {
    super(`internal error: ${errorMessage(cause)}`, ExitCode.internal, 'a bug in the harness: the faults were reverted and everything torn down; please report it with report.json and the stack (run again with --debug)', { cause });
  }
}

/** The run was interrupted by a signal; raised after revert and teardown. */
export class InterruptedError extends HarnessError {
  constructor(signal: string) {
    super(`interrupted by ${signal}`, ExitCode.interrupted);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
