// Error classes that carry their exit code, so the CLI maps failures to the
// documented contract (0 pass, 1 assertion failed, 2 bad input, 3 environment,
// 130 interrupted) without string matching.

export const ExitCode = {
  ok: 0,
  assertionFailed: 1,
  usage: 2,
  environment: 3,
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

/** The run was interrupted by a signal; raised after revert and teardown. */
export class InterruptedError extends HarnessError {
  constructor(signal: string) {
    super(`interrupted by ${signal}`, ExitCode.interrupted);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
