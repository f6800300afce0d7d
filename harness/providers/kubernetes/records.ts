import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import { ingestK6 } from '../../traffic/k6/ingest.js';
import { parseRecords, type RequestRecord } from '../../traffic/record.js';
import { COLLECTED_FILE, RECORDS_CONTAINER, recordsFile, STOP_FILE, SUMMARY_FILE } from './manifests.js';
import type { Kube } from './kube.js';

// Records of a client Job, copied out of its pod: the driver wrote them to a
// file in an emptyDir, never to its log (the kubelet rotates logs at 10 MiB
// and `kubectl logs` returns only the newest file, so the baseline vanishes
// first). The copy is checked against the driver's own count, and a Job that
// did not complete fails the run with its reason.

/**
 * Whether the copied records are all the driver wrote. The harness driver's
 * summary is {sent, recorded}; k6's summary export counts http_reqs (requests
 * k6 dropped for lack of time are records of their own, not requests).
 * Returns what is wrong, or null.
 */
export function recordCountProblem(summaryText: string, records: readonly RequestRecord[], k6: boolean): string | null {
  let summary: unknown;
  try {
    summary = JSON.parse(summaryText);
  } catch {
    return `the driver's summary is not JSON: ${summaryText.slice(0, 80)}`;
  }
  if (k6) {
    const reqs = (summary as { metrics?: { http_reqs?: { count?: unknown; values?: { count?: unknown } } } }).metrics?.http_reqs;
    const count = reqs?.count ?? reqs?.values?.count ?? 0;
    if (typeof count !== 'number') return "k6's summary has no http_reqs count";
    const sent = records.filter((r) => r.error !== 'driver-overload').length;
    return sent === count ? null : `copied ${sent} request records, k6 counted ${count} requests`;
  }
  // `scheduled`: every request due, sent or recorded as the driver's overload.
  const s = summary as { sent?: unknown; recorded?: unknown; scheduled?: unknown };
  const scheduled = typeof s.scheduled === 'number' ? s.scheduled : s.sent;
  if (typeof s.recorded !== 'number' || typeof scheduled !== 'number') return "the driver's summary has no scheduled/recorded counts";
  if (records.length !== s.recorded) return `copied ${records.length} records, the driver wrote ${s.recorded}`;
  if (s.recorded !== scheduled) return `the driver scheduled ${scheduled} requests but recorded ${s.recorded} (some never settled)`;
  return null;
}

export interface CollectOptions {
  kube: Kube;
  namespace: string;
  client: string;
  k6: boolean;
  clock: Clock;
  /** How long to wait for the driver's summary (the driver settles in-flight requests first). */
  waitMs: number;
}

const inPod = (namespace: string, client: string, ...argv: string[]) => ['-n', namespace, 'exec', `job/traffic-${client}`, '-c', RECORDS_CONTAINER, '--', ...argv];

/** Tells the harness driver of a client Job to stop (it watches for the stop file); k6 stops at its own duration. */
export async function stopClientDriver(kube: Kube, namespace: string, client: string): Promise<void> {
  await kube.run(inPod(namespace, client, 'touch', STOP_FILE), { context: `stop the driver of ${client}` });
}

/** Waits for the driver's summary, copies the records out, checks them, and lets the Job complete. */
export async function collectClientRecords(o: CollectOptions): Promise<RequestRecord[]> {
  const { kube, namespace, client, clock } = o;
  const job = `job/traffic-${client}`;
  const inPodOf = (...argv: string[]) => inPod(namespace, client, ...argv);
  const deadline = clock.now() + o.waitMs;
  let summary: string | undefined;
  let lastError: unknown;
  while (summary === undefined) {
    try {
      summary = (await kube.run(inPodOf('cat', SUMMARY_FILE), { context: `read the driver summary of ${client}`, timeoutMs: 30_000 })).stdout;
    } catch (error) {
      lastError = error;
      if (clock.now() >= deadline) {
        const state = await jobState(kube, namespace, client);
        throw new Error(`the traffic driver of ${client} did not finish within ${Math.round(o.waitMs / 1000)} s (${state}); last error: ${errorMessage(lastError)}`);
      }
      await clock.sleep(1000);
    }
  }
  const { stdout } = await kube.run(inPodOf('cat', recordsFile(client, o.k6)), { context: `copy the records of ${client}`, timeoutMs: 300_000 });
  const records = o.k6 ? ingestK6(client, stdout) : parseRecords(stdout);
  const problem = recordCountProblem(summary, records, o.k6);
  if (problem) throw new Error(`records of ${client} are incomplete: ${problem}`);
  await kube.run(inPodOf('touch', COLLECTED_FILE), { context: `release the pod of ${client}` });
  try {
    await kube.run(['-n', namespace, 'wait', '--for=condition=complete', job, '--timeout', '60s'], { context: `wait for ${job}`, timeoutMs: 70_000 });
  } catch (error) {
    throw new Error(`${job} did not complete (${await jobState(kube, namespace, client)}): ${errorMessage(error)}`);
  }
  return records;
}

/** The Job's conditions and its pod's container states, for an error message. */
async function jobState(kube: Kube, namespace: string, client: string): Promise<string> {
  const { stdout } = await kube
    .run(['-n', namespace, 'get', 'job', `traffic-${client}`, '-o', 'jsonpath={range .status.conditions[*]}{.type}={.status} {.reason}: {.message}; {end}'], { context: 'read the Job status' })
    .catch(() => ({ stdout: '' }));
  const pods = await kube
    .run(['-n', namespace, 'get', 'pods', '-l', `job-name=traffic-${client}`, '-o', 'jsonpath={range .items[*].status.containerStatuses[*]}{.name}: {.state}; {end}'], { context: 'read the client pod status' })
    .catch(() => ({ stdout: '' }));
  // The driver's own last words: a crash says why there (live on kind, an undici assertion; before, only "exitCode 1").
  const log = await kube
    .run(['-n', namespace, 'logs', `job/traffic-${client}`, '-c', 'driver', '--tail', '12'], { context: `read the driver log of ${client}` })
    .catch(() => ({ stdout: '' }));
  const tail = driverLogTail(log.stdout);
  return [stdout.trim(), pods.stdout.trim(), tail ? `driver log: ${tail}` : ''].filter(Boolean).join(' ') || 'no status';
}

/** The last lines of a driver's log, for an error message: blank lines dropped, at most 600 characters. */
export function driverLogTail(log: string): string {
  const text = log
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' | ');
  return text.length > 600 ? `…${text.slice(-600)}` : text;
}

/**
 * Waits until every client pod is Ready, before the agreed first request; a
 * pod that is late would lose its baseline. Exits 3 (through the caller) with
 * what is not ready when the deadline passes.
 */
export async function awaitClientsReady(kube: Kube, namespace: string, clients: readonly string[], label: string, clock: Clock, deadline: number): Promise<string[]> {
  const notReady: string[] = [];
  for (const client of clients) {
    for (;;) {
      const left = Math.floor((deadline - clock.now()) / 1000);
      const ok = await kube
        .run(['-n', namespace, 'wait', '--for=condition=Ready', 'pod', '-l', `${label}=${client}`, '--timeout', `${Math.max(1, left)}s`], { context: `wait for the client pod of ${client}`, timeoutMs: Math.max(1, left) * 1000 + 5000 })
        .then(
          () => true,
          () => false,
        );
      if (ok) break;
      // The Job may not have made its pod yet ("no matching resources"): try again while there is time.
      if (clock.now() + 1000 >= deadline) {
        const { stdout } = await kube
          .run(['-n', namespace, 'get', 'pods', '-l', `${label}=${client}`, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.phase} {range .status.containerStatuses[*]}{.name}={.state}{end}{end}'], { context: 'read client pods' })
          .catch(() => ({ stdout: '' }));
        notReady.push(`${client}: ${stdout.trim() || 'no pod yet'}`);
        break;
      }
      await clock.sleep(1000);
    }
  }
  return notReady;
}
