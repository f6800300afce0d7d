// Exit codes of the traffic driver (driver.ts), shared with the providers that read them.

/**
 * A record could not be written (a full disk, an I/O error): the driver ends at
 * once with this code (sysexits' EX_IOERR). Records that stop at a torn line
 * would otherwise read as a quiet client, and a quiet client as a clean run.
 */
export const RECORDS_WRITE_FAILED = 74;

/** What a driver's exit says about its records; null when it ended as asked. */
export function driverExitProblem(client: string, exit: { exitCode: number | undefined; signal: string | undefined }, log: string): string | null {
  if (exit.exitCode === 0) return null;
  if (exit.exitCode === RECORDS_WRITE_FAILED) return `the traffic driver of ${client} could not write its records (disk full or an I/O error; see ${log}): the run's figures would count only what was written`;
  if (exit.signal) return `the traffic driver of ${client} was killed by ${exit.signal} before it finished writing its records (see ${log})`;
  return `the traffic driver of ${client} failed with exit code ${exit.exitCode} (see ${log})`;
}
