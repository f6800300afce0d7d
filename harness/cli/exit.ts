import { ExitCode, HarnessError, errorMessage } from '../core/errors.js';
import { RunError } from '../exec/index.js';

/** Prints an error the way a person needs it (no stack unless --debug) and returns its exit code. */
export function reportError(error: unknown, debug: boolean): number {
  if (error instanceof HarnessError) {
    console.error(`error: ${error.message}`);
    if (error.hint) console.error(`  → ${error.hint}`);
    if (debug && error.cause) console.error(error.cause);
    return error.exitCode;
  }
  if (error instanceof RunError) {
    console.error(`error: ${error.message}`);
    console.error(`  → the command was: ${error.pretty()}`);
    return ExitCode.environment;
  }
  console.error(`error: ${errorMessage(error)}`);
  if (debug && error instanceof Error) console.error(error.stack);
  else console.error('  → run again with --debug for details');
  return ExitCode.environment;
}
