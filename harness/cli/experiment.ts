// `npm run experiment <name|file> [-- options]`: the composition root. Parses
// argv, wires the real executor, clock and provider, runs, reports, exits with
// the documented code.
import { Command, CommanderError, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeIndex } from '../report/regenerate.js';
import { lockOwnersToKeep, removeStaleLocks } from '../providers/local/subnet-lock.js';
import { systemClock } from '../core/clock.js';
import { parseDuration } from '../core/duration.js';
import { METRIC_PATHS } from '../core/assertion-expr.js';
import { prepareReportDir } from './report-dir.js';
import { dataPlaneNotes, MESHES, type Mesh, type MeshContext } from '../mesh/choice.js';
import { LINKERD_MULTICLUSTER_MODES, type LinkerdMulticlusterMode } from '../mesh/linkerd.js';
import { availableParallelism } from 'node:os';
import { machineFit, trafficFit } from '../providers/local/machine-fit.js';
import { READY_TIMEOUT_MS } from '../providers/local/provider.js';
import { memAvailable, renderLocalPlan } from '../providers/local/plan.js';
import { ExitCode, UsageError, EnvironmentError, InternalError, errorMessage } from '../core/errors.js';
import type { Journal, Override } from '../core/journal.js';
import { errorJournal } from '../runner/error-journal.js';
import { checkTimeline, experimentJsonSchema, parseExperiment, type Experiment } from '../core/experiment.js';
import { processStartTicks, realExecutor } from '../exec/index.js';
import { Ledger, listLedgers, stateDir } from '../faults/ledger.js';
import type { Isolation } from '../providers/local/address-plan.js';
import { createLocalProvider, defaultIsolation, isolationAvailable } from '../providers/local/create.js';
import { ensurePrerequisites } from '../providers/local/prerequisites.js';
import { isLive } from '../providers/local/proc-scan.js';
import { cleanupLedgers } from '../providers/local/cleanup.js';
import { markCrashedRuns } from './crashed-run.js';
import { writeReports } from '../report/write-reports.js';
import { formatActual } from '../report/format.js';
import { capacityCells, controlPlaneCells, failoverSummary, invocationText, NOT_INJECTED, summaryCells } from '../report/failover-summary.js';
import { runExperiment } from '../runner/run-experiment.js';
import { reportError } from './exit.js';
import { RunConsole } from './console.js';
// The kind provider is loaded only for a kind run: it pulls in client-node and the Kubernetes models.
import { DEFAULT_IMAGE, DEFAULT_ISTIO_VERSION, DEFAULT_LINKERD_VERSION, REPO_ROOT } from './kind-defaults.js';
import { undoAny } from '../providers/undo.js';
import { ResourceScope } from '../faults/scope.js';
import type { Provider } from '../providers/provider.js';
import { experimentNames, loadExperiment } from './load-experiment.js';
import { applyOverrides } from './overrides.js';
import { didYouMean } from '../core/suggest.js';

interface Options {
  list?: boolean;
  provider: string;
  isolation?: string;
  mode?: string;
  reportDir?: string;
  rate?: string;
  duration?: string;
  baseline?: string;
  recovery?: string;
  timeout?: string;
  assert?: string[];
  recoveryWindow?: string;
  recoveryThreshold?: string;
  install: boolean;
  dryRun?: boolean;
  schema?: boolean;
  keep?: boolean;
  istioVersion: string;
  linkerdVersion: string;
  linkerdMulticluster: string;
  mesh?: string;
  image: string;
  nodeImage?: string;
  cleanupFirst?: boolean;
  overCapacity?: boolean;
  debug?: boolean;
}

const runConsole = new RunConsole();
const log = runConsole.log;

function program(): Command {
  return new Command('experiment')
    .description('Run a failover experiment: inject a fault under live traffic, measure recovery and routing, assert, report.')
    .argument('[experiment]', 'experiment name (see --list) or path to a .ts, .yaml or .json experiment file')
    .option('--list', 'list the experiments and exit')
    .addOption(new Option('--provider <name>', 'environment provider: local (embedded) or kind (Docker + kind + Istio)').default('local'))
    .option('--schema', "print the experiment file's JSON Schema (generated from the schemas the harness validates with) and exit")
    .option('--dry-run', 'print the plan of the run (kind: every command and manifest; local: namespaces, addresses, processes, sidecar configs, faults) and touch nothing')
    .option('--keep', 'kind: leave the clusters up after the run (a later run reuses a cluster whose config hash matches)')
    .addOption(new Option('--mesh <mesh>', 'kind: the data plane: istio (the whole failover policy), linkerd (failure accrual, retries, zone hints; federated Services across clusters), or none (plain Kubernetes Services with trafficDistribution: PreferSameZone); what a mesh cannot honour is listed before the run').choices([...MESHES]).default('istio'))
    .option('--linkerd-version <v>', 'kind, --mesh linkerd: the Linkerd release the run pins (an installed linkerd CLI at least this recent, same channel, fits; its own version is installed)', DEFAULT_LINKERD_VERSION)
    .addOption(new Option('--linkerd-multicluster <mode>', 'kind, --mesh linkerd, several clusters: federated (a federated Service, pod-to-pod; Linkerd ≥ 2.17) or failover-extension (linkerd-failover TrafficSplit through gateways, for older set-ups; needs helm)').choices([...LINKERD_MULTICLUSTER_MODES]).default('federated'))
    .option('--istio-version <v>', 'kind: the Istio minor version the run pins (any patch of it fits; the installed istioctl\'s exact version is installed)', DEFAULT_ISTIO_VERSION)
    .option('--image <name>', 'kind: the echo/driver image to build and load', DEFAULT_IMAGE)
    .option('--node-image <name>', "kind: the node image of every node (default: kind's own; scripts/kind-images builds one from packages)")
    .addOption(new Option('--isolation <mode>', 'local provider: netns (root; a network namespace per node) or process (loopback ports)').choices(['netns', 'process']))
    .addOption(new Option('--mode <mode>', 'zone/region outage mode: kill, freeze or isolate (netns only)'))
    .option('--report-dir <dir>', 'where to write the report (default reports/<timestamp>-<experiment>)')
    .option('--rate <n>', 'requests per second from each client')
    .option('--duration <d>', 'fault phase length, e.g. 8s')
    .option('--baseline <d>', 'baseline phase length, e.g. 4s')
    .option('--recovery <d>', 'recovery phase length (after revert), e.g. 5s')
    .option('--timeout <d>', 'client timeout of one request, e.g. 2s')
    .addOption(new Option('--driver <name>', 'who sends the traffic: node (the harness driver) or k6 (harness/traffic/k6/driver.js; needs k6 on PATH locally, the grafana/k6 image on kind)').choices(['node', 'k6']))
    .option('--assert <expr>', 'add or override an assertion, e.g. "client(client-a).recovery.timeMs < 2s" (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--recovery-window <d>', "sliding window of the recovery-time metric (default: the experiment's, 1s unless it says)")
    .option('--recovery-threshold <ratio>', "success ratio every window must reach to count as recovered (default: the experiment's, 1 unless it says)")
    .option('--no-install', 'do not apt-get install missing prerequisites; fail with the command instead')
    .option('--cleanup-first', 'revert what crashed earlier runs left behind before starting')
    .option('--over-capacity', 'local: run even when the traffic asked for is more than this machine drives (refused otherwise, with the figure); not-sent requests are counted and past 1% the run is an error')
    .option('--debug', 'print stack traces')
    .addHelpText(
      'after',
      `
Exit codes: 0 all assertions passed, 1 an assertion failed, 2 bad input, 3 environment problem, 130 interrupted.
Assertion metrics: ${METRIC_PATHS.filter((m) => !m.startsWith('recovery.') || m === 'recovery.timeMs').slice(0, 14).join(', ')}, … (docs/assertions.md)
Examples:
  npm run experiment zone-outage
  npm run experiment zone-outage -- --mode freeze --report-dir /tmp/zo
  npm run experiment ./my-experiment.yaml -- --assert "recovery.timeMs < 2s"
  npm run experiment cluster-failover -- --provider kind --dry-run   # the whole kind plan, no Docker needed`,
    );
}

async function listExperiments(): Promise<void> {
  const names = experimentNames();
  const width = Math.max(...names.map((n) => n.length));
  for (const name of names) {
    const { raw } = await loadExperiment(name);
    const description = (raw as { description?: string }).description ?? '';
    console.log(`${name.padEnd(width)}  ${description}`);
  }
}

function checkOutstanding(cleanupFirst: boolean): Promise<void> | void {
  const ledgers = listLedgers();
  const live = ledgers.filter(isLive);
  removeStaleLocks(join(stateDir(), 'locks'), lockOwnersToKeep(ledgers, (l) => live.includes(l)));
  const dead = ledgers.filter((l) => l.outstanding.length > 0 && !live.includes(l));
  if (dead.length === 0) return;
  if (cleanupFirst) {
    return cleanupLedgers(dead, realExecutor, log).then(({ runs }) => {
      for (const dir of markCrashedRuns(runs)) log(`marked ${dir} crashed`);
    });
  }
  const what = dead.map((l) => `run ${l.runId} (${l.experiment ?? '?'}): ${l.outstanding.length} resources`).join('; ');
  throw new EnvironmentError(`an earlier run died and left resources behind: ${what}`, 'run `npm run cleanup` (or pass --cleanup-first), then try again');
}

/** The recovery metric's window and threshold: the command line's, else the experiment's own. */
function recoveryOptions(o: Options, ex: Experiment): { windowMs: number; threshold: number } {
  if (o.recoveryWindow === undefined && o.recoveryThreshold === undefined) return { windowMs: ex.recovery.window, threshold: ex.recovery.threshold };
  const windowMs = o.recoveryWindow === undefined ? ex.recovery.window : parseDuration(o.recoveryWindow) ?? Number.NaN;
  if (!(windowMs > 0)) throw new UsageError(`expected --recovery-window to be a duration like 1s, got "${o.recoveryWindow}"`);
  const threshold = o.recoveryThreshold === undefined ? ex.recovery.threshold : Number(o.recoveryThreshold);
  if (!(threshold > 0 && threshold <= 1)) throw new UsageError(`expected --recovery-threshold to be a ratio in (0, 1], got "${o.recoveryThreshold}"`);
  return { windowMs, threshold };
}

/**
 * The end of a run on the console: failed assertions first (value and
 * threshold), then the clients the fault touched, then the verdict with its
 * count, and last the report to open.
 */
function printSummary(j: Journal, dir: string): void {
  console.log('');
  const failed = j.assertions.filter((a) => !a.passed);
  const paint = runConsole.paint;
  for (const a of failed) console.log(a.unverified ? `  ${paint('red', '✗')} ${a.name}  (unverified: ${a.unverified})` : `  ${paint('red', '✗')} ${a.name}  (actual ${paint('bold', formatActual(a.actual, a.metric))}, expected ${a.op} ${formatActual(a.expected, a.metric)})`);
  for (const a of j.assertions.filter((x) => x.passed)) console.log(`  ${paint('green', '✓')} ${a.name}  (actual ${formatActual(a.actual, a.metric)})`);
  if (j.status === 'unverified') console.log('  (no assertions: nothing was verified; add some with --assert or in the experiment)');
  const summary = failoverSummary(j);
  if (summary.rows.length > 0 || summary.untouched.length > 0 || summary.notInjected) console.log('');
  if (summary.notInjected) console.log(`  ${NOT_INJECTED}`);
  for (const r of summary.rows) {
    const c = summaryCells(r);
    console.log(`  ${r.client}${r.injection ? ` · ${r.injection.label}` : ''}: ${c.destination}`);
    console.log(`    failover ${c.failover} · recovery ${c.recovery} · ${c.cost} · failback ${c.failback}`);
    if (c.judged !== 'nothing else asserted') console.log(`    ${c.judged}`);
  }
  if (summary.untouched.length > 0) console.log(`  untouched by the fault: ${summary.untouched.join(', ')}`);
  if (summary.capacity) console.log(`  capacity: ${capacityCells(summary.capacity)}`);
  if (summary.controlPlane) console.log(`  control plane: ${controlPlaneCells(summary.controlPlane)}`);
  if (j.settings.overrides?.length) console.log(`  ${paint('yellow', invocationText(j))}`);
  const count = j.assertions.length > 0 ? `: ${failed.length > 0 ? `${failed.length} of ${j.assertions.length} assertions failed` : `${j.assertions.length} assertions passed`}` : '';
  const verdictColour = j.status === 'passed' ? 'green' : j.status === 'failed' || j.status === 'error' ? 'red' : 'yellow';
  console.log(`\n${j.experiment}: ${paint(verdictColour, j.status.toUpperCase())}${count}${j.error ? ` (${j.error})` : ''}`);
  console.log(`junit: ${dir}/junit.xml`);
  console.log(`report: ${dir}/report.html`);
}

async function main(argv: string[]): Promise<number> {
  const cmd = program().exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    cmd.parse(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    throw error;
  }
  const o = cmd.opts<Options>();
  const ref = cmd.args[0];
  if (o.list) {
    await listExperiments();
    return ExitCode.ok;
  }
  if (o.schema) {
    console.log(JSON.stringify(experimentJsonSchema(), null, 2));
    return ExitCode.ok;
  }
  if (!ref) throw new UsageError('name an experiment', 'list them with: npm run experiment -- --list');
  if (o.provider !== 'local' && o.provider !== 'kind') {
    throw new UsageError(`unknown provider "${o.provider}"${didYouMean(o.provider, ['local', 'kind'])}`, 'providers: local, kind');
  }

  const { raw, source } = await loadExperiment(ref);
  let experiment: Experiment = parseExperiment(raw, source);
  experiment = applyOverrides(experiment, o);
  // --duration changes the fault phase: the timeline must still fit.
  checkTimeline(experiment, source);
  const recovery = recoveryOptions(o, experiment);
  const recoveryChanged: Override[] = [
    ...(o.recoveryWindow !== undefined && recovery.windowMs !== experiment.recovery.window ? [{ option: '--recovery-window', value: o.recoveryWindow, replaces: `${experiment.recovery.window}ms` }] : []),
    ...(o.recoveryThreshold !== undefined && recovery.threshold !== experiment.recovery.threshold ? [{ option: '--recovery-threshold', value: o.recoveryThreshold, replaces: String(experiment.recovery.threshold) }] : []),
  ];
  if (recoveryChanged.length > 0) experiment = { ...experiment, overrides: [...(experiment.overrides ?? []), ...recoveryChanged] };
  const fit = trafficFit(experiment, availableParallelism());
  if (fit.tooFew) throw new UsageError(`${source}: traffic: ${fit.tooFew}`, 'raise --rate, or lengthen that phase');
  for (const w of fit.warnings) log(`traffic: ${w}`);
  let makeProvider: (ctx: { runId: string; reportDir: string; ledger: Ledger; signal: AbortSignal }) => Promise<Provider>;
  let isolation: string;
  const mesh = (o.mesh ?? 'istio') as Mesh;
  // A mesh's own options given for another mesh would be accepted and ignored: refused instead.
  const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  for (const [option, flag, owner] of [['istioVersion', '--istio-version', 'istio'], ['linkerdVersion', '--linkerd-version', 'linkerd'], ['linkerdMulticluster', '--linkerd-multicluster', 'linkerd']] as const) {
    if (given(option) && mesh !== owner) throw new UsageError(`${flag} applies to --mesh ${owner}, and this run's mesh is ${mesh}`, `add --mesh ${owner}, or drop ${flag}`);
  }
  if (o.provider !== 'kind' && mesh !== 'istio') {
    throw new UsageError(`--mesh ${mesh} applies to --provider kind`, "the local provider's data plane is Envoy sidecars configured as Istio configures them; add --provider kind");
  }
  if (o.provider === 'kind') {
    const [{ printKindPlan }, { KindProvider }, { checkKindPrerequisites, prerequisitesError }, { renderKindClusters }] = await Promise.all([
      import('./kind-run.js'),
      import('../providers/kind/provider.js'),
      import('../providers/kind/prerequisites.js'),
      import('../providers/kind/kind-config.js'),
    ]);
    // The sidecar mode drains a local Envoy in front of the echo; on kind the drain is at the echo (mode listener).
    if (experiment.faults.some((f) => f.kind === 'drain-listeners' && f.mode === 'sidecar')) {
      throw new UsageError(`${source}: drain-listeners mode "sidecar" drains the local provider's server-side Envoy; on kind the drain is the echo's own (mode "listener")`, 'drop `mode: sidecar`, or run it with --provider local');
    }
    const rendered = renderKindClusters(experiment.topology, o.nodeImage);
    const linkerdMode = o.linkerdMulticluster as LinkerdMulticlusterMode;
    const meshContext: MeshContext = { multiCluster: rendered.length > 1, linkerdMode };
    const versions = { istioVersion: o.istioVersion, linkerdVersion: o.linkerdVersion };
    if (o.dryRun) return printKindPlan({ experiment, clock: systemClock, keep: o.keep ?? false, ...versions, linkerdMode, image: o.image, nodeImage: o.nodeImage, mesh, print: (s) => console.log(s) });
    // What the chosen data plane cannot honour is said before anything starts (and recorded in the report's environment).
    const notes = dataPlaneNotes(mesh, experiment, meshContext);
    for (const part of notes.notInForce) log(`--mesh ${mesh}: not in force: ${part}`);
    for (const n of notes.notExpected) log(`--mesh ${mesh}: not expected: ${n.metric} (${n.why})`);
    const nodes = rendered.flatMap((c) => c.config.nodes);
    const prerequisites = await checkKindPrerequisites(realExecutor, {
      multiCluster: rendered.length > 1,
      istioVersion: o.istioVersion,
      linkerdVersion: o.linkerdVersion,
      linkerdMode,
      mesh,
      isolate: experiment.faults.some((f) => (f.kind === 'zone-outage' || f.kind === 'region-outage') && f.mode === 'isolate'),
      controlPlaneNodes: nodes.filter((n) => n.role === 'control-plane').length,
      // kind adds a load-balancer container to each cluster with several control-plane nodes; sized like a worker.
      workerNodes: nodes.filter((n) => n.role === 'worker').length + rendered.filter((c) => c.config.nodes.filter((n) => n.role === 'control-plane').length > 1).length,
    });
    if (prerequisites.missing.length > 0) throw prerequisitesError(prerequisites);
    const istioVersion = prerequisites.istioVersion ?? o.istioVersion;
    const linkerdVersion = prerequisites.linkerdVersion ?? o.linkerdVersion;
    // Live here: plain Kubernetes on clusters built from packages (test/kind-live). No mesh image can be built here.
    if (mesh !== 'none') log(`kind provider with --mesh ${mesh}: not yet run live by this project, only --mesh none is (docs/providers.md)`);
    isolation = 'docker';
    makeProvider = async ({ runId, reportDir, ledger }) =>
      new KindProvider({
        experiment, runId, reportDir, exec: realExecutor, clock: systemClock, log,
        scope: new ResourceScope(ledger, undoAny(realExecutor), systemClock),
        repoRoot: REPO_ROOT, keep: o.keep ?? false, istioVersion, linkerdVersion, linkerdMode, image: o.image, nodeImage: o.nodeImage, mesh,
      });
  } else {
    let local: Isolation;
    if (o.isolation) {
      local = o.isolation as Isolation;
      isolationAvailable(local);
    } else {
      const chosen = defaultIsolation();
      local = chosen.isolation;
      log(chosen.reason);
    }
    if (local === 'process' && experiment.faults.some((f) => (f.kind === 'zone-outage' || f.kind === 'region-outage') && f.mode === 'isolate')) {
      throw new UsageError('mode "isolate" takes links down and needs --isolation netns (run as root)', 'use --mode kill or --mode freeze with --isolation process');
    }
    const partition = experiment.faults.some((f) => f.kind === 'partition');
    if (local === 'process' && partition) throw new UsageError('a partition drops packets between namespaces and needs --isolation netns (run as root)');
    if (local === 'netns' && experiment.topology.nodes.length > 240) {
      throw new UsageError(`${source}: topology: ${experiment.topology.nodes.length} nodes, and one run's /24 subnet holds 240 namespaces`, 'use fewer nodes, or --isolation process');
    }
    const misfit = machineFit(experiment.topology, { cores: availableParallelism(), memAvailable: memAvailable() }, READY_TIMEOUT_MS);
    if (misfit) throw new EnvironmentError(`${source}: topology too big for this machine: ${misfit}`, 'use fewer instances or clients, or a bigger machine (or --provider kind)');
    // The traffic asked for against what this machine drives, before any process starts (and in the dry run).
    if (fit.refusal && !o.overCapacity) throw new EnvironmentError(`${source}: traffic: ${fit.refusal}`, 'lower --rate or use fewer clients (or shorter phases); --over-capacity runs it anyway, and the report then counts what the drivers could not send');
    if (fit.refusal) log(`traffic: ${fit.refusal}; running anyway (--over-capacity): requests not sent on time are counted, and past 1% the run is an error`);
    if (o.dryRun) {
      console.log(renderLocalPlan(experiment, local));
      return ExitCode.ok;
    }
    const { envoy } = await ensurePrerequisites(local, { install: o.install, controlPlane: experiment.topology.members.length > 0, partition, k6: experiment.traffic.driver === 'k6', exec: realExecutor, log });
    isolation = local;
    makeProvider = ({ runId, reportDir, ledger, signal }) => createLocalProvider({ experiment, isolation: local, runId, reportDir, exec: realExecutor, clock: systemClock, signal, log, ledger, envoy });
  }
  await checkOutstanding(o.cleanupFirst ?? false);
  const prepared = prepareReportDir(o.reportDir, experiment.name);
  const reportDir = prepared.path;

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      log(`${signal}: reverting faults and tearing down (a second Ctrl-C does not skip this)`);
      controller.abort(signal);
    } else log(`${signal} again: still reverting and tearing down, please wait`);
  };
  // A closed terminal or SSH session (SIGHUP) and Ctrl-\ (SIGQUIT) end a run the way Ctrl-C does: a killed zone
  // left killed would outlive the session. SIGKILL cannot be caught: `npm run cleanup` undoes what it leaves.
  for (const signal of HANDLED_SIGNALS) process.on(signal, onSignal);
  // The top-level guard: an error nobody caught (a timer's, a stream's) aborts the run like a signal, so
  // its faults are reverted, everything is torn down and report.json says what went wrong (exit 4).
  guard.onUnexpected = (error) => {
    if (controller.signal.aborted) return;
    log(`internal error: ${errorMessage(error)}: reverting faults and tearing down`);
    controller.abort(new InternalError(error));
  };

  const runId = randomBytes(3).toString('hex');
  const startedAt = new Date().toISOString();
  const ledger = new Ledger(stateDir(), runId);
  ledger.begin(experiment.name, process.pid, processStartTicks(process.pid), systemClock.now(), reportDir);
  log(`run ${runId}: ${experiment.name} → ${reportDir}${prepared.replaced ? ' (replacing the earlier run there)' : ''}`);
  let journal: Journal;
  let failure: unknown;
  runConsole.watch(reportDir, experiment.topology.clients.map((c) => c.name), experiment.phases);
  try {
    const provider = await makeProvider({ runId, reportDir, ledger, signal: controller.signal });
    ({ journal, failure } = await runExperiment({ runId, experiment, provider, clock: systemClock, signal: controller.signal, recovery, log, onStage: stageHook(runConsole.stage) }));
  } catch (error) {
    // A report is never lost: even a run that could not start says why.
    failure = error;
    journal = errorJournal({ runId, experiment, provider: o.provider, isolation, startedAt, error: errorMessage(error), recovery });
  }
  runConsole.stop();
  ledger.close();
  // The run is over: an uncaught error from here on ends the process (exit 4) after what follows is written.
  guard.onUnexpected = undefined;
  const reportFailures = writeReports(reportDir, journal);
  for (const f of reportFailures) console.error(`error: could not write ${f}`);
  prepared.release();
  try {
    // The run history of the default reports folder, or of any folder that already keeps one.
    const parent = dirname(reportDir);
    if (parent === resolve('reports') || existsSync(join(parent, 'index.json'))) writeIndex(parent);
  } catch (error) {
    console.error(`error: could not update the run index: ${errorMessage(error)}`);
  }
  printSummary(journal, reportDir);
  if (journal.status === 'aborted') return ExitCode.interrupted;
  if (failure !== undefined) return reportError(failure, o.debug ?? false);
  // A run with no assertion verified nothing, but nothing failed either: exit 0, status `unverified`.
  return journal.status === 'passed' || journal.status === 'unverified' ? ExitCode.ok : ExitCode.assertionFailed;
}

/** Signals that end a run with revert and teardown (exit 130). */
const HANDLED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/** Where an uncaught error goes: the running experiment aborts on it; before and after a run it ends the process (exit 4). */
const guard: { onUnexpected: ((error: unknown) => void) | undefined } = { onUnexpected: undefined };
function unexpected(error: unknown): void {
  if (guard.onUnexpected) guard.onUnexpected(error);
  else process.exit(reportError(new InternalError(error), debug));
}
process.on('uncaughtException', unexpected);
process.on('unhandledRejection', unexpected);
// A terminal that went away (SIGHUP) fails every later write to it: that must not end the revert.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

/**
 * Test hook for the chaos test: FAILOVER_HARNESS_THROW_AT="<stage>" throws an
 * error nobody catches (from a timer) right after the runner marks that stage;
 * "<stage>:reject" leaves a promise rejected instead. Unset, it is the stage callback itself.
 */
function stageHook(onStage: (event: string) => void): (event: string) => void {
  const spec = process.env.FAILOVER_HARNESS_THROW_AT;
  if (!spec) return onStage;
  const [stage, how] = spec.split(':');
  return (event) => {
    onStage(event);
    if (event !== stage) return;
    const error = new Error(`injected internal error after stage ${event} (FAILOVER_HARNESS_THROW_AT)`);
    if (how === 'reject') void Promise.reject(error);
    else setImmediate(() => {
      throw error;
    });
  };
}

const debug = process.argv.includes('--debug');
main(process.argv).then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(reportError(error, debug)),
);
