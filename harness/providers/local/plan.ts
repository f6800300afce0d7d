import { readFileSync } from 'node:fs';
import type { Experiment } from '../../core/experiment.js';
import { describeFault } from '../../core/fault-spec.js';
import { expandTimeline } from '../../core/timeline.js';
import { formatArgv } from '../../exec/run-error.js';
import { stringify } from 'yaml';
import { ECHO_HOST, ECHO_PORT, renderOutboundSidecar } from '../../mesh/istio/envoy-bootstrap.js';
import { outboundClusterName } from '../../mesh/istio/envoy-cluster.js';
import { renderEds } from '../../mesh/istio/envoy-endpoints.js';
import { removalDelayMs } from './endpoint-model.js';
import { instanceIdentity } from '../../workloads/identity.js';
import { endpointOf, planNetns, planProcess, type Isolation } from './address-plan.js';
import { inboundSidecarInstances } from './inbound-sidecars.js';
import { netnsPrefix } from './network.js';
import { driverArgv, echoArgv, envoyArgv, etcdArgv, k6Argv } from './processes.js';
import { RUN_DRIVER_BUNDLE, driverBundleArgv } from '../../traffic/driver-bundle.js';

// `--dry-run` for the local provider: what a run would create and start,
// rendered from the same pure planners the run uses, without touching the
// machine (no namespace, no process, no file, no ledger entry). Addresses
// that are chosen at run time (the /24 subnet, free ports) are shown with
// placeholders and said to be so.

const REPORT = '<report-dir>';

export function renderLocalPlan(ex: Experiment, isolation: Isolation): string {
  let port = 40000;
  const inbound = inboundSidecarInstances(ex);
  const plan = isolation === 'netns' ? planNetns(ex.topology, 'RUNID', 0, inbound) : planProcess(ex.topology, () => port++, inbound);
  const out: string[] = [];
  out.push(`# ${ex.name}: local plan (${isolation} isolation), nothing was run`, '');
  if (isolation === 'netns') {
    out.push(`Addresses: 198.18.0.x stands for the run's own /24 of 198.18.0.0/15, the first one free when the run starts; RUNID for the run id.`);
    out.push(`Bridge ${plan.bridge!.name} ${plan.bridge!.ip}/24, with an iptables FORWARD accept for it while a Docker engine's DROP policy is in force.`, '');
  } else out.push('Everything on 127.0.0.1; the ports shown stand for free ports chosen when the run starts.', '');
  out.push('## Nodes', '');
  for (const n of plan.nodes) out.push(`- ${n.name} (${[n.locality.region, n.locality.zone, n.locality.subzone].filter(Boolean).join('/')}): ${n.netns ? `namespace ${n.netns}, veth ${n.hostVeth}/${n.nsVeth}, ` : ''}${n.ip}`);
  out.push('', '## Processes', '');
  const on = (node: string) => netnsPrefix(plan.nodes.find((n) => n.name === node)!);
  for (const i of plan.instances) {
    const capacity = ex.topology.instances.find((x) => x.name === i.instance)?.capacity;
    out.push(`- instance ${i.instance}: ${formatArgv([...on(i.node), ...echoArgv(i, instanceIdentity(i), capacity)])}`);
  }
  for (const i of plan.instances.filter((x) => x.inbound)) out.push(`- server-side sidecar of ${i.instance} (drained in sidecar mode): ${formatArgv([...on(i.node), ...envoyArgv('<envoy>', `${REPORT}/sidecars/inbound-${i.instance}/envoy.yaml`)])}`);
  for (const c of plan.clients) out.push(`- sidecar of ${c.client}: ${formatArgv([...on(c.node), ...envoyArgv('<envoy>', `${REPORT}/sidecars/${c.client}/envoy.yaml`)])}`);
  const durationMs = ex.phases.baseline + ex.phases.fault + ex.phases.recovery;
  const bundle = `${REPORT}/${RUN_DRIVER_BUNDLE}`;
  if (ex.traffic.driver !== 'k6') out.push(`- the traffic driver, bundled before traffic starts (run with plain node, not through tsx): ${formatArgv(driverBundleArgv(bundle))}`);
  for (const c of plan.clients) {
    const common = { rate: ex.traffic.rate, timeoutMs: ex.traffic.timeout, maxDurationMs: durationMs + 30_000, startAt: 0 };
    const argv = ex.traffic.driver === 'k6' ? k6Argv(c, { ...common, jsonOut: `${REPORT}/records/${c.client}.k6.json` }) : driverArgv(c, { ...common, out: `${REPORT}/records/${c.client}.ndjson`, bundle, summary: `${REPORT}/logs/driver-${c.client}.summary.json` });
    out.push(`- traffic of ${c.client} (${ex.traffic.rate} req/s, start agreed at run time): ${formatArgv([...on(c.node), ...argv])}`);
  }
  for (const m of plan.members) out.push(`- etcd member ${m.name}: ${formatArgv([...on(m.node), ...etcdArgv(m, plan.members, `${REPORT}/etcd/${m.name}`, 'fh-RUNID')])}`);
  out.push('', '## Sidecar configurations (what istiod would send each sidecar)', '');
  const endpoints = plan.instances.map(endpointOf);
  for (const c of plan.clients) {
    const dir = `${REPORT}/sidecars/${c.client}`;
    out.push(`### ${dir}/envoy.yaml`, '', '```yaml');
    out.push(stringify(renderOutboundSidecar({ client: c.client, clientLocality: c.locality, endpoints, policy: ex.policy, listen: c.listen, admin: c.admin, edsPath: `${dir}/eds/echo.yaml`, edsDir: `${dir}/eds` })).trimEnd());
    out.push('```', '', `### ${dir}/eds/echo.yaml (every endpoint ready)`, '', '```yaml');
    out.push(stringify(renderEds({ cluster: outboundClusterName(ECHO_HOST, ECHO_PORT), client: c.locality, endpoints, policy: ex.policy, version: 1 })).trimEnd());
    out.push('```', '');
  }
  const d = ex.endpointDelays;
  out.push('## Modelled control plane (EDS changes)', '');
  out.push(`- a lost node (zone or region outage): its endpoints leave after ${removalDelayMs('node-lost', d)} ms (node-monitor grace period ${d.nodeMonitorGracePeriod} ms + propagation ${d.endpointPropagation} ms), unless it is back first`);
  out.push(`- a killed instance: after ${removalDelayMs('container-exited', d)} ms (container exit seen ${d.containerExitDetection} ms + propagation), back ${d.readinessSuccess + d.endpointPropagation} ms after it serves again`);
  out.push(`- a frozen instance: after ${removalDelayMs('container-frozen', d)} ms (readiness failing ${d.readinessFailure} ms + propagation), unless thawed first`);
  out.push('- a drain, an error or a slow answer: no change (only outlier detection acts)', '');
  out.push('## Phases and faults', '');
  out.push(`baseline ${ex.phases.baseline} ms, fault ${ex.phases.fault} ms, recovery ${ex.phases.recovery} ms`);
  for (const inj of expandTimeline(ex.faults, ex.phases.fault)) {
    const f = ex.faults[inj.fault]!;
    out.push(`- +${(inj.at / 1000).toFixed(1)} s into the fault phase: ${f.kind}${'mode' in f && f.mode ? ` (${f.mode})` : ''} ${describeFault(f)}${inj.repetition > 0 ? ` (repetition ${inj.repetition})` : ''}, reverted at +${(inj.until / 1000).toFixed(1)} s`);
  }
  out.push('', '## Assertions', '', ...(ex.assertions.length > 0 ? ex.assertions.map((a) => `- ${a.source}`) : ['(none: the run would be unverified)']), '');
  return out.join('\n');
}

/** MemAvailable from /proc/meminfo, bytes (what the kernel can give without swapping). */
export function memAvailable(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return Number.POSITIVE_INFINITY;
}
