// How k6 runs the harness's script, wherever it runs (locally, or in a kind
// Job). Pure: the command-line arguments and the FH_* settings driver.js reads.

/** The script, relative to the repository root. */
export const K6_SCRIPT = 'harness/traffic/k6/driver.js';

export interface K6Traffic {
  /** The client's name, sent as x-fh-client (an instance notes when it last heard from it). */
  client: string;
  target: string;
  rate: number;
  timeoutMs: number;
  maxDurationMs: number;
  startAt: number;
  /** A host the traffic guard lets through besides loopback and 198.18.0.0/15. */
  allowTarget?: string;
}

/**
 * `k6 …` arguments before the script: quiet, samples to `jsonOut` as JSON
 * lines; with `summaryExport`, k6's end-of-test figures to that file (its
 * http_reqs count is what the copied-out samples are checked against).
 */
export function k6RunArgs(jsonOut: string, summaryExport?: string): string[] {
  return ['run', '--quiet', ...(summaryExport ? [`--summary-export=${summaryExport}`] : ['--no-summary']), '--no-usage-report', '--out', `json=${jsonOut}`];
}

/** The settings driver.js reads from __ENV. */
export function k6Env(t: K6Traffic): Record<string, string> {
  return {
    FH_CLIENT: t.client,
    FH_TARGET: t.target,
    ...(t.allowTarget ? { FH_ALLOW_TARGET: t.allowTarget } : {}),
    FH_RATE: String(t.rate),
    FH_TIMEOUT_MS: String(t.timeoutMs),
    FH_DURATION_MS: String(Math.round(t.maxDurationMs)),
    FH_START_AT: String(Math.round(t.startAt)),
  };
}
