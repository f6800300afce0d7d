import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildHandle } from '../../exec/index.js';
import { ControlPlaneProbe } from '../../probes/control-plane-probe.js';
import { EtcdProbeClient } from '../../probes/etcd-client.js';
import { firstLeader } from '../../probes/probe-client.js';
import type { ProbeRecord, StatusRecord } from '../../probes/record.js';
import type { MemberPlan, NodePlan } from './address-plan.js';
import { etcdArgv } from './processes.js';
import type { LocalProviderOptions } from './provider.js';
import { waitFor } from './readiness.js';

// The control plane of the local environment: a real etcd cluster, one
// process per member in its node's namespace, data in the report folder
// (removed at teardown), and the probes that watch it.

export const PROBE = { intervalMs: 100, timeoutMs: 1000, attemptMs: 400 };
const READY_TIMEOUT_MS = 30_000;

type Spawn = (node: NodePlan, argv: string[], label: string) => ChildHandle;

export class EtcdMembers {
  private readonly children = new Map<string, ChildHandle>();
  readonly client: EtcdProbeClient;
  private probe: ControlPlaneProbe | undefined;
  private readonly dataRoot: string;

  constructor(
    private readonly o: LocalProviderOptions,
    private readonly nodeOf: (name: string) => NodePlan,
    private readonly spawn: Spawn,
  ) {
    this.dataRoot = join(o.reportDir, 'etcd');
    this.client = new EtcdProbeClient(o.plan.members.map((m) => ({ name: m.name, url: `http://${m.host}:${m.clientPort}` })));
  }

  get names(): string[] {
    return this.o.plan.members.map((m) => m.name);
  }

  private plan(name: string): MemberPlan {
    return this.o.plan.members.find((m) => m.name === name)!;
  }

  child(name: string): ChildHandle {
    return this.children.get(name)!;
  }

  private startProcess(m: MemberPlan): void {
    const argv = etcdArgv(m, this.o.plan.members, join(this.dataRoot, m.name), `fh-${this.o.runId}`);
    this.children.set(m.name, this.spawn(this.nodeOf(m.node), argv, `etcd-${m.name}`));
  }

  /** Starts every member and waits until the cluster accepts a write. */
  async start(): Promise<void> {
    // Data is scratch: removed at teardown (and by cleanup after a crash).
    await this.o.scope.acquire({ kind: 'file', path: this.dataRoot }, async () => mkdirSync(this.dataRoot, { recursive: true }));
    for (const m of this.o.plan.members) this.startProcess(m);
    await waitFor(
      'the etcd cluster to accept writes',
      async () => {
        for (const [name, child] of this.children) if (child.hasExited()) throw new Error(`etcd member ${name} exited; see logs/etcd-${name}.log`);
        return (await this.client.write(`/failover-harness/${this.o.runId}/ready`, 'ok', 1000, 1000)).ok;
      },
      this.o.clock,
      READY_TIMEOUT_MS,
      this.o.signal,
    );
    await this.client.learnMembers(2000);
  }

  /** Restarts a killed member on its data; it rejoins the cluster. */
  async restart(name: string): Promise<void> {
    this.startProcess(this.plan(name));
    await waitFor(`etcd member ${name} to answer again`, async () => (await this.client.status(name, 500)) !== undefined, this.o.clock, READY_TIMEOUT_MS);
  }

  leader(): Promise<string | null> {
    return firstLeader(this.names, (name) => this.client.status(name, 500));
  }

  startProbes(startAt: number, file: string): void {
    this.probe = new ControlPlaneProbe(this.client, this.o.clock, { runId: this.o.runId, ...PROBE, members: this.names, file });
    this.probe.start(startAt);
  }

  async stopProbes(): Promise<{ probes: ProbeRecord[]; statuses: StatusRecord[] }> {
    return this.probe ? this.probe.stop() : { probes: [], statuses: [] };
  }

  verify(): Promise<{ acknowledged: number; lost: string[] } | null> {
    return this.probe ? this.probe.verify(10_000) : Promise.resolve(null);
  }

  close(): void {
    this.client.close();
  }
}
