import { basename } from 'node:path';
import type { Clock } from '../core/clock.js';
import { EnvironmentError, errorMessage, HarnessError, InternalError } from '../core/errors.js';
import { PHASES } from '../core/assertion-expr.js';
import { assertionsFor, type Experiment } from '../core/experiment.js';
import type { AssertionResult, ClientResult, ControlPlaneResult, DataPlaneAccount, InstanceLoad, Journal, RunStatus, TimelineEvent } from '../core/journal.js';
import { dataPlaneChecks } from '../analysis/data-plane-check.js';
import { evaluateAssertions } from '../analysis/assertions.js';
import type { PhaseWindows } from '../analysis/phase-windows.js';
import type { RecoveryOptions } from '../analysis/time-metrics.js';
import type { Provider } from '../providers/provider.js';
import type { RequestRecord } from '../traffic/record.js';
import { coarsened, digestFile } from '../traffic/ndjson-file.js';
import { existsSync } from 'node:fs';
import { analyseRun } from './analyse-run.js';
import { FaultsInFlight } from './faults-in-flight.js';
import { capacityResult, failuresByWho, predictCapacity } from '../analysis/capacity.js';
import { faultImpacts, runEjectionTimeMs } from '../analysis/fault-impact.js';
import { expandTimeline, phaseInjectedAt, timelineSteps } from '../core/timeline.js';
import { analyseControlPlane } from '../analysis/control-plane.js';
import { placementCheck } from '../analysis/placement.js';
import { binSize, controlPlaneSeries } from '../analysis/series.js';
import type { ProbeRecord, StatusRecord } from '../probes/record.js';

// validate (done by the caller) → provision → deploy → baseline → inject →
// fault → revert → recovery → analyse. Revert and teardown always run.


/** A phase length as people read it on the console ("8 s", "0.5 s"). */
const seconds = (ms: number) => `${Number((ms / 1000).toFixed(2))} s`;

export interface RunContext {
  runId: string;
  experiment: Experiment;
  provider: Provider;
  clock: Clock;
  signal: AbortSignal;
  recovery: RecoveryOptions;
  log: (line: string) => void;
  /** Told each stage as it is marked (the console's phase progress). */
  onStage?: (event: string) => void;
}

export interface RunOutcome {
  journal: Journal;
  /** The error that stopped the run early, if any (not an abort). */
  failure: unknown;
}

/** Share of scheduled requests the driver may fail to send on time before the run is an error. */
const MAX_NOT_SENT_SHARE = 0.01;

/** Time the drivers get to start before the agreed first request. */
const TRAFFIC_LEAD_MS = 1500;
/** From this rate per client the driver warms up before its first request (traffic/driver.ts), which needs a longer lead. */
const WARM_UP_RATE = 500;
const WARM_UP_LEAD_MS = 4000;

export async function runExperiment(ctx: RunContext): Promise<RunOutcome> {
  const { experiment: ex, provider, clock, signal, log } = ctx;
  const startedAt = new Date().toISOString();
  const timeline: TimelineEvent[] = [];
  const mark = (event: string, detail?: string) => {
    timeline.push({ at: clock.now(), event, ...(detail ? { detail } : {}) });
    log(`${event}${detail ? `: ${detail}` : ''}`);
    ctx.onStage?.(event);
  };
  let failure: unknown;
  const injections = expandTimeline(ex.faults, ex.phases.fault);
  const steps = timelineSteps(injections);
  const faults = new FaultsInFlight(provider, clock, signal, mark, (error: unknown) => (failure ??= error));
  let trafficStarted = false;
  let baselineStart = Number.NaN;
  let faultStart = Number.NaN;
  let injectedAt = Number.NaN;
  let recoveryStart = Number.NaN;
  let revertedAt = Number.NaN;
  let readyAt = Number.NaN;
  const sleepUntil = (t: number) => clock.sleep(t - clock.now(), signal);
  const placement = placementCheck(ex.topology, ex.faults);
  const capacityPrediction = predictCapacity(ex);
  let instanceLoad: InstanceLoad[] = [];
  const cp = provider.controlPlane;
  let probesStarted = false;

  try {
    mark('provision', `${provider.name} provider, ${provider.isolation} isolation`);
    await provider.provision();
    signal.throwIfAborted();
    mark('deploy', `${ex.topology.instances.length} instance${ex.topology.instances.length === 1 ? '' : 's'}, ${ex.topology.clients.length} client${ex.topology.clients.length === 1 ? '' : 's'}`);
    await provider.deploy();
    signal.throwIfAborted();
    baselineStart = clock.now() + Math.max(provider.trafficLeadMs ?? TRAFFIC_LEAD_MS, ex.traffic.rate >= WARM_UP_RATE && ex.traffic.driver === 'node' ? WARM_UP_LEAD_MS : 0);
    const total = ex.phases.baseline + ex.phases.fault + ex.phases.recovery;
    await provider.startTraffic({ startAt: baselineStart, maxDurationMs: total + 30_000 });
    trafficStarted = true;
    if (cp) {
      cp.startProbes(baselineStart);
      probesStarted = true;
      for (const finding of placement.findings) mark('placement', finding.message);
    }
    await sleepUntil(baselineStart);
    mark('baseline', `${ex.traffic.rate} req/s per client for ${seconds(ex.phases.baseline)}`);
    await sleepUntil(baselineStart + ex.phases.baseline);
    // The fault phase: the timeline's steps, in order, each at its planned time.
    const phaseStart = clock.now();
    mark('fault', `${injections.length} injection${injections.length === 1 ? '' : 's'} over ${seconds(ex.phases.fault)}`);
    for (const step of steps) {
      await sleepUntil(phaseStart + step.at);
      const injection = injections[step.injection]!;
      if (step.kind === 'inject') await faults.inject(step.injection, injection, ex.faults[injection.fault]!, phaseStart);
      else await faults.revert(step.injection);
    }
  } catch (error) {
    failure = error;
  } finally {
    // Whatever is still in is reverted, even on Ctrl-C or an exception; then everything is waited back.
    await faults.revertAll();
    await faults.settled();
  }
  const done = faults.records;
  if (done.length > 0) {
    faultStart = Math.min(...done.map((r) => r.injectStartedAtMs));
    injectedAt = phaseInjectedAt(done)!;
    recoveryStart = Math.max(...done.map((r) => r.revertStartedAtMs ?? clock.now()));
    revertedAt = Math.max(...done.map((r) => r.revertedAtMs ?? recoveryStart));
    readyAt = Math.max(...done.map((r) => r.revertReadyAtMs ?? revertedAt));
  } else recoveryStart = revertedAt = readyAt = clock.now();
  if (failure === undefined) {
    try {
      // The recovery phase lasts its length after everything is back (for the local provider that is at once).
      mark('recovery', seconds(ex.phases.recovery));
      await sleepUntil(readyAt + ex.phases.recovery);
    } catch (error) {
      failure = error;
    }
  }

  let records: RequestRecord[] = [];
  let files: string[] = [];
  let probes: ProbeRecord[] = [];
  let statuses: StatusRecord[] = [];
  let verification: { acknowledged: number; lost: string[] } | null = null;
  let incomplete: Record<string, string> = {};
  let sidecarAccount: Omit<DataPlaneAccount, 'checks'> | undefined;
  const end = clock.now();
  try {
    if (trafficStarted) {
      mark('stop-traffic');
      ({ records, files, incomplete = {} } = await provider.stopTraffic());
      if (Object.keys(incomplete).length > 0) {
        // Figures from part of the records would read as a quiet client: the run is an error, and says which records.
        failure ??= new RecordsIncompleteError(Object.values(incomplete));
        mark('records-incomplete', Object.values(incomplete).join('; '));
      }
      if (capacityPrediction && provider.instanceLoad) instanceLoad = await provider.instanceLoad();
      // The data plane's own account, while its sidecars still run.
      sidecarAccount = await provider.dataPlaneAccount?.().catch((error: unknown) => {
        mark('data-plane-unread', errorMessage(error));
        return undefined;
      });
    }
    if (cp && probesStarted) {
      const stopped = await cp.stopProbes();
      ({ probes, statuses } = stopped);
      files.push(stopped.file);
      if (!signal.aborted) {
        mark('verify-writes', `reading back ${probes.filter((r) => r.probe === 'write' && r.ok).length} acknowledged writes`);
        verification = await cp.verifyWrites();
        if (!verification) mark('verify-failed', 'the store did not answer a read-back within 10 s');
      }
    }
  } catch (error) {
    failure ??= error;
    mark('collect-failed', errorMessage(error));
  } finally {
    // Teardown runs whatever happened before it.
    mark('teardown');
    const leftovers = await provider.teardown();
    // What the provider did on its own (the modelled control plane's EDS changes), in time order with the rest.
    for (const e of provider.events?.() ?? []) timeline.push(e);
    timeline.sort((a, b) => a.at - b.at);
    if (leftovers.length > 0) {
      failure ??= new Error(`teardown left: ${leftovers.join('; ')}`);
      mark('teardown-incomplete', leftovers.join('; '));
    }
  }

  // An internal error aborts the run like a signal (revert, teardown), but it is an error, not an interruption.
  const internal = signal.aborted && signal.reason instanceof InternalError ? signal.reason : undefined;
  if (internal) failure = internal;
  const aborted = signal.aborted && !internal;
  let clients: ClientResult[] = [];
  const capacity = capacityPrediction ? capacityResult(capacityPrediction, instanceLoad) : undefined;
  let controlPlane: ControlPlaneResult | undefined;
  let dataPlane: DataPlaneAccount | undefined;
  let assertions: AssertionResult[] = [];
  let runWindows: PhaseWindows | undefined;
  if (trafficStarted && Number.isFinite(baselineStart)) {
    const windows: PhaseWindows = {
      baselineStart,
      faultStart: Number.isFinite(faultStart) ? faultStart : end,
      injectedAt: Number.isFinite(injectedAt) ? injectedAt : end,
      recoveryStart: Number.isFinite(faultStart) ? recoveryStart : end,
      revertedAt: Number.isFinite(faultStart) ? revertedAt : end,
      end,
    };
    runWindows = windows;
    clients = analyseRun(ex, records, windows, ctx.recovery);
    for (const c of clients) if (incomplete[c.name]) c.incomplete = incomplete[c.name];
    if (capacity) Object.assign(capacity, failuresByWho(records, windows.faultStart, end));
    if (!Number.isFinite(injectedAt)) {
      // No fault was injected (aborted or failed before it): time figures were never measured, which is not 0 ms.
      for (const c of clients) {
        delete c.recoveryTimeMs;
        delete c.timeToFailoverMs;
        delete c.failbackTimeMs;
      }
    }
    // Each injection's own figures, per client, over its own window; the ejection time is the slowest injection's.
    for (const [record, impact] of faultImpacts(ex, records, faults.records, end, ctx.recovery)) record.impact = impact;
    for (const c of clients) c.ejectionTimeMs = runEjectionTimeMs(faults.records.map((r) => r.impact?.[c.name]));
    if (sidecarAccount) dataPlane = { ...sidecarAccount, checks: dataPlaneChecks(sidecarAccount, records, faults.records, Object.fromEntries(clients.map((c) => [c.name, c.ejectionTimeMs]))) };
    if (cp && probesStarted) {
      const lostMembers = faults.records.flatMap((r) => r.affected).filter((a) => cp.members.includes(a));
      controlPlane = analyseControlPlane({
        members: cp.members,
        probes,
        statuses,
        windows,
        lostMembers,
        probeIntervalMs: cp.probeIntervalMs,
        probeTimeoutMs: cp.probeTimeoutMs,
        placement,
        verification,
        ...(faults.records.find((r) => r.leaderAtInjection)?.leaderAtInjection ? { leaderAtInjection: faults.records.find((r) => r.leaderAtInjection)!.leaderAtInjection! } : {}),
      });
      controlPlane.series = controlPlaneSeries(probes, statuses, baselineStart, end, binSize(end - baselineStart));
    }
    // Incomplete records still get their assertions, each marked unverified: the report says what could not be checked.
    if ((failure === undefined || failure instanceof RecordsIncompleteError) && !aborted) assertions = evaluateAssertions(assertionsFor(ex, provider.name, provider.dataPlane), clients, controlPlane, faults.records, capacity, dataPlane, runWindows);
    // Requests the driver could not send on time are its own failure, never the service's: past a small share the run measured nothing reliable.
    const notSent = clients.reduce((n, c) => n + PHASES.reduce((m, p) => m + (c.phases[p].notSent ?? 0), 0), 0);
    const scheduled = notSent + clients.reduce((n, c) => n + PHASES.reduce((m, p) => m + c.phases[p].requests, 0), 0);
    if (failure === undefined && !aborted && scheduled > 0 && notSent / scheduled > MAX_NOT_SENT_SHARE) {
      failure = new EnvironmentError(
        `the traffic driver could not send ${notSent} of ${scheduled} requests on time (${((notSent / scheduled) * 100).toFixed(1)}%, more than ${MAX_NOT_SENT_SHARE * 100}%): the figures would blame the mesh for the driver's overload`,
        'lower --rate, or run on a less loaded machine',
      );
      mark('driver-overload', `${notSent} of ${scheduled} requests not sent on time`);
    }
  }
  const failed = assertions.filter((a) => !a.passed).length;
  // What this process held at its peak: a run's records stay in memory until analysed (runner and console both).
  const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  const status: RunStatus = aborted ? 'aborted' : failure !== undefined ? 'error' : failed > 0 ? 'failed' : assertions.length === 0 ? 'unverified' : 'passed';
  const recoveryTimes = clients.map((c) => c.recoveryTimeMs).filter((t) => t !== undefined);
  const journal: Journal = {
    schemaVersion: 1,
    runId: ctx.runId,
    experiment: ex.name,
    description: ex.description,
    provider: provider.name,
    isolation: provider.isolation,
    status,
    ...(status === 'error' ? { error: describeFailure(failure) } : {}),
    startedAt,
    finishedAt: new Date().toISOString(),
    settings: {
      ratePerClient: ex.traffic.rate,
      requestTimeoutMs: ex.traffic.timeout,
      phasesMs: ex.phases,
      recoveryWindowMs: ctx.recovery.windowMs,
      recoveryThreshold: ctx.recovery.threshold,
      overrides: ex.overrides ?? [],
    },
    policy: ex.policy,
    topology: { nodes: ex.topology.nodes },
    timeline,
    faults: faults.records,
    clients,
    ...(controlPlane ? { controlPlane } : {}),
    ...(dataPlane ? { dataPlane } : {}),
    ...(cp ? { placement } : {}),
    ...(capacity ? { capacity } : {}),
    assertions,
    metrics: {
      requests: clients.reduce((n, c) => n + c.phases.baseline.requests + c.phases.fault.requests + c.phases.recovery.requests, 0),
      failed: clients.reduce((n, c) => n + c.phases.baseline.failed + c.phases.fault.failed + c.phases.recovery.failed, 0),
      ...(recoveryTimes.length === 0 ? {} : { worstRecoveryTimeMs: recoveryTimes.includes(null) ? null : Math.max(0, ...(recoveryTimes as number[])) }),
      // Stated, not silently dropped: the phases end at traffic stop (envoy-divergence D2).
      afterStop: records.filter((r) => r.sentAt >= end && r.error !== 'driver-overload').length,
      assertionsPassed: assertions.length - failed,
      assertionsFailed: failed,
    },
    environment: { ...provider.facts(), harnessPeakRssMiB: String(peakRssMiB) },
    records: {
      files: files.map((f) => `records/${basename(f)}`),
      count: records.length + probes.length + statuses.length,
      digests: Object.fromEntries(files.filter((f) => existsSync(f)).map((f) => [`records/${basename(f)}`, coarsened(digestFile(f))])),
    },
  };
  return { journal, failure: aborted ? undefined : failure };
}

/** Some client's records are not the whole of what it sent (a driver that could not write them): exit 3, the reason named. */
export class RecordsIncompleteError extends EnvironmentError {
  constructor(reasons: readonly string[]) {
    super(reasons.join('; '), 'free space where the report is written (or choose another --report-dir), then run again');
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof HarnessError && error.hint) return `${error.message} (${error.hint})`;
  return errorMessage(error);
}
