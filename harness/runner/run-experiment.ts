import { basename } from 'node:path';
import type { Clock } from '../core/clock.js';
import { EnvironmentError, errorMessage, HarnessError } from '../core/errors.js';
import { PHASES } from '../core/assertion-expr.js';
import { assertionsFor, type Experiment } from '../core/experiment.js';
import type { AssertionResult, ClientResult, ControlPlaneResult, FaultRecord, Journal, RunStatus, TimelineEvent } from '../core/journal.js';
import { evaluateAssertions } from '../analysis/assertions.js';
import type { PhaseWindows } from '../analysis/phase-windows.js';
import type { RecoveryOptions } from '../analysis/time-metrics.js';
import type { InjectedFault, Provider } from '../providers/provider.js';
import type { RequestRecord } from '../traffic/record.js';
import { analyseRun, faultedInstances } from './analyse-run.js';
import { analyseControlPlane } from '../analysis/control-plane.js';
import { placementCheck } from '../analysis/placement.js';
import { binSize, controlPlaneSeries } from '../analysis/series.js';
import type { ProbeRecord, StatusRecord } from '../probes/record.js';

// validate (done by the caller) → provision → deploy → baseline → inject →
// fault → revert → recovery → analyse. Revert and teardown always run.

export interface RunContext {
  runId: string;
  experiment: Experiment;
  provider: Provider;
  clock: Clock;
  signal: AbortSignal;
  recovery: RecoveryOptions;
  log: (line: string) => void;
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

export async function runExperiment(ctx: RunContext): Promise<RunOutcome> {
  const { experiment: ex, provider, clock, signal, log } = ctx;
  const startedAt = new Date().toISOString();
  const timeline: TimelineEvent[] = [];
  const mark = (event: string, detail?: string) => {
    timeline.push({ at: clock.now(), event, ...(detail ? { detail } : {}) });
    log(`${event}${detail ? `: ${detail}` : ''}`);
  };
  const injected: { fault: InjectedFault; record: FaultRecord }[] = [];
  let failure: unknown;
  let trafficStarted = false;
  let baselineStart = Number.NaN;
  let faultStart = Number.NaN;
  let injectedAt = Number.NaN;
  let recoveryStart = Number.NaN;
  let revertedAt = Number.NaN;
  let readyAt = Number.NaN;
  const sleepUntil = (t: number) => clock.sleep(t - clock.now(), signal);
  const placement = placementCheck(ex.topology, ex.faults);
  const cp = provider.controlPlane;
  let probesStarted = false;

  try {
    mark('provision', `${provider.name} provider, ${provider.isolation} isolation`);
    await provider.provision();
    signal.throwIfAborted();
    mark('deploy', `${ex.topology.instances.length} instances, ${ex.topology.clients.length} clients`);
    await provider.deploy();
    signal.throwIfAborted();
    baselineStart = clock.now() + (provider.trafficLeadMs ?? TRAFFIC_LEAD_MS);
    const total = ex.phases.baseline + ex.phases.fault + ex.phases.recovery;
    await provider.startTraffic({ startAt: baselineStart, maxDurationMs: total + 30_000 });
    trafficStarted = true;
    if (cp) {
      cp.startProbes(baselineStart);
      probesStarted = true;
      for (const finding of placement.findings) mark('placement', finding.message);
    }
    await sleepUntil(baselineStart);
    mark('baseline', `${ex.traffic.rate} req/s per client for ${ex.phases.baseline} ms`);
    await sleepUntil(baselineStart + ex.phases.baseline);
    faultStart = clock.now();
    mark('inject', ex.faults.map((f) => f.kind).join(', '));
    for (const spec of ex.faults) {
      const injectStartedAtMs = clock.now();
      const fault = await provider.inject(spec);
      const record: FaultRecord = {
        kind: spec.kind,
        target: fault.target,
        ...(fault.mode ? { mode: fault.mode } : {}),
        affected: fault.affected,
        injectStartedAtMs,
        injectedAtMs: clock.now(),
        revertStartedAtMs: null,
        revertedAtMs: null,
      };
      injected.push({ fault, record });
      mark('injected', `${spec.kind} ${fault.target}${fault.mode ? ` (${fault.mode})` : ''}: ${fault.affected.join(', ')}`);
    }
    // t_f: the moment the last inject action completed, exactly as the fault records say.
    injectedAt = Math.max(...injected.map((i) => i.record.injectedAtMs));
    await sleepUntil(faultStart + ex.phases.fault);
  } catch (error) {
    failure = error;
  } finally {
    // Revert whatever was injected, even on Ctrl-C or an exception.
    recoveryStart = clock.now();
    for (const { fault, record } of injected.reverse()) {
      // What only the faulted instances know (a gray fault's last arrivals), before the revert clears it.
      if (fault.observe) record.lastRequestAtMs = await fault.observe().catch(() => ({}));
      record.revertStartedAtMs = clock.now();
      try {
        await fault.revert();
        record.revertedAtMs = clock.now();
        mark('reverted', `${record.kind} ${record.target}`);
      } catch (error) {
        failure ??= error;
        mark('revert-failed', `${record.kind} ${record.target}: ${errorMessage(error)}`);
      }
    }
    injected.reverse();
    revertedAt = clock.now();
    // Where coming back takes longer than issuing the revert (a kind node boots, pods pass readiness),
    // wait for it, and stamp when it was ready; a Ctrl-C does not wait.
    for (const { fault, record } of injected) {
      if (record.revertedAtMs === null) continue;
      try {
        if (fault.awaitRecovered && !signal.aborted) {
          await fault.awaitRecovered();
          mark('ready', `${record.kind} ${record.target}`);
        }
        record.revertReadyAtMs = clock.now();
      } catch (error) {
        failure ??= error;
        record.revertReadyAtMs = null;
        mark('not-ready', `${record.kind} ${record.target}: ${errorMessage(error)}`);
      }
    }
    readyAt = clock.now();
  }
  if (failure === undefined) {
    try {
      // The recovery phase lasts its length after everything is back (for the local provider that is at once).
      mark('recovery', `${ex.phases.recovery} ms`);
      await sleepUntil(Math.max(recoveryStart, readyAt) + ex.phases.recovery);
    } catch (error) {
      failure = error;
    }
  }

  let records: RequestRecord[] = [];
  let files: string[] = [];
  let probes: ProbeRecord[] = [];
  let statuses: StatusRecord[] = [];
  let verification: { acknowledged: number; lost: string[] } | null = null;
  const end = clock.now();
  try {
    if (trafficStarted) {
      mark('stop-traffic');
      ({ records, files } = await provider.stopTraffic());
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
    if (leftovers.length > 0) {
      failure ??= new Error(`teardown left: ${leftovers.join('; ')}`);
      mark('teardown-incomplete', leftovers.join('; '));
    }
  }

  const aborted = signal.aborted;
  let clients: ClientResult[] = [];
  let controlPlane: ControlPlaneResult | undefined;
  let assertions: AssertionResult[] = [];
  if (trafficStarted && Number.isFinite(baselineStart)) {
    const windows: PhaseWindows = {
      baselineStart,
      faultStart: Number.isFinite(faultStart) ? faultStart : end,
      injectedAt: Number.isFinite(injectedAt) ? injectedAt : end,
      recoveryStart: Number.isFinite(faultStart) ? recoveryStart : end,
      revertedAt: Number.isFinite(faultStart) ? revertedAt : end,
      end,
    };
    // Faults that act on instances (not a partition or an etcd member) define the ejection time.
    const instanceFaults = injected.filter((i) => i.record.kind !== 'partition' && i.record.kind !== 'etcd-member-loss');
    const arrivals = new Map<string, number>();
    for (const { record } of instanceFaults) for (const [client, at] of Object.entries(record.lastRequestAtMs ?? {})) arrivals.set(client, Math.max(arrivals.get(client) ?? 0, at));
    clients = analyseRun(ex, records, windows, ctx.recovery, faultedInstances(ex, instanceFaults.flatMap((i) => i.record.affected)), arrivals);
    if (cp && probesStarted) {
      const lostMembers = injected.flatMap((i) => i.record.affected).filter((a) => cp.members.includes(a));
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
      });
      controlPlane.series = controlPlaneSeries(probes, statuses, baselineStart, end, binSize(end - baselineStart));
    }
    if (failure === undefined && !aborted) assertions = evaluateAssertions(assertionsFor(ex, provider.name), clients, controlPlane);
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
  const status: RunStatus = aborted ? 'aborted' : failure !== undefined ? 'error' : failed > 0 ? 'failed' : assertions.length === 0 ? 'unverified' : 'passed';
  const recoveryTimes = clients.map((c) => c.recoveryTimeMs);
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
    },
    policy: ex.policy,
    topology: { nodes: ex.topology.nodes },
    timeline,
    faults: injected.map((i) => i.record),
    clients,
    ...(controlPlane ? { controlPlane } : {}),
    ...(cp ? { placement } : {}),
    assertions,
    metrics: {
      requests: clients.reduce((n, c) => n + c.phases.baseline.requests + c.phases.fault.requests + c.phases.recovery.requests, 0),
      failed: clients.reduce((n, c) => n + c.phases.baseline.failed + c.phases.fault.failed + c.phases.recovery.failed, 0),
      worstRecoveryTimeMs: recoveryTimes.includes(null) ? null : Math.max(0, ...(recoveryTimes as number[])),
      assertionsPassed: assertions.length - failed,
      assertionsFailed: failed,
    },
    environment: provider.facts(),
    records: { files: files.map((f) => `records/${basename(f)}`), count: records.length + probes.length + statuses.length },
  };
  return { journal, failure: aborted ? undefined : failure };
}

function describeFailure(error: unknown): string {
  if (error instanceof HarnessError && error.hint) return `${error.message} (${error.hint})`;
  return errorMessage(error);
}
