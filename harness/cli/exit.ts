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
  // A TypeError, RangeError or ReferenceError is a bug in the harness, not the machine's doing.
  const bug = error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError;
  console.error(`error: ${bug ? 'internal error: ' : ''}${errorMessage(error)}`);
  if (debug && error instanceof Error) console.error(error.stack);
  else console.error(bug ? '  → a bug in the harness: please report it with report.json (run again with --debug for the stack)' : '  → run again with --debug for details');
  return bug ? ExitCode.internal : ExitCode.environment;
}
