import { describe, expect, it } from 'vitest';
import type { Clock } from '../../harness/core/clock.js';
import { EnvironmentError } from '../../harness/core/errors.js';
import { parseExperiment } from '../../harness/core/experiment.js';
import type { Executor, RunOptions } from '../../harness/exec/index.js';
import { DockerCli } from '../../harness/providers/kind/docker-nodes.js';
import { renderKindClusters } from '../../harness/providers/kind/kind-config.js';
import { awaitZonePreference } from '../../harness/providers/kind/zone-preference.js';
import { Kube } from '../../harness/providers/kubernetes/kube.js';
import { chainEndpoints, hasServiceRules, zonePreferenceGap } from '../../harness/providers/kubernetes/proxy-rules.js';
import zoneOutage from '../../experiments/zone-outage.js';

// The shape of kube-proxy's iptables-save output (iptables mode, v1.35): one KUBE-SEP jump per endpoint, commented.
const save = (endpoints: string[]) =>
  [
    '*nat',
    ':KUBE-SVC-ABCDEF - [0:0]',
    '-A KUBE-SERVICES -d 10.96.10.20/32 -p tcp -m comment --comment "chaos/echo:http cluster IP" -m tcp --dport 8080 -j KUBE-SVC-ABCDEF',
    '-A KUBE-SVC-ABCDEF ! -s 10.244.0.0/16 -d 10.96.10.20/32 -p tcp -m comment --comment "chaos/echo:http cluster IP" -m tcp --dport 8080 -j KUBE-MARK-MASQ',
    ...endpoints.map((e, i) => `-A KUBE-SVC-ABCDEF -m comment --comment "chaos/echo:http -> ${e}"${i < endpoints.length - 1 ? ` -m statistic --mode random --probability 0.${5 - i}0000000000` : ''} -j KUBE-SEP-E${i}`),
    '-A KUBE-SVC-OTHER -m comment --comment "kube-system/kube-dns:dns -> 10.244.0.2:53" -j KUBE-SEP-DNS',
    '-A KUBE-SEP-E0 -p tcp -m comment --comment "chaos/echo:http" -m tcp -j DNAT --to-destination 10.244.1.5:8080',
    'COMMIT',
  ].join('\n');

describe('what kube-proxy does with the echo service on one node', () => {
  it('reads the endpoints of the service\'s chain, not another service\'s, not the masquerade rule', () => {
    expect(chainEndpoints(save(['10.244.1.5:8080']), 'chaos', 'echo', 'http')).toEqual(['10.244.1.5:8080']);
    expect(chainEndpoints(save(['10.244.1.5:8080', '10.244.2.5:8080', '10.244.3.5:8080']), 'chaos', 'echo', 'http')).toHaveLength(3);
    expect(chainEndpoints(save(['10.244.1.5:8080']), 'other', 'echo', 'http')).toEqual([]);
    expect(chainEndpoints('', 'chaos', 'echo', 'http')).toEqual([]);
    expect(hasServiceRules(save([]), 'chaos', 'echo', 'http')).toBe(true);
    // IPVS mode keeps a KUBE-SERVICES chain, but no per-service "cluster IP" rule: not read as "no endpoints".
    expect(hasServiceRules('*nat\n-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -j KUBE-MARK-MASQ\nCOMMIT', 'chaos', 'echo', 'http')).toBe(false);
  });

  it('PreferSameZone is in force when the chain holds exactly the zone\'s pods: the same count from another zone is not', () => {
    expect(zonePreferenceGap(['10.244.1.5:8080'], ['10.244.1.5'], 'fh-c1-worker', 'zone-a')).toBeNull();
    expect(zonePreferenceGap(['10.244.2.5:8080'], ['10.244.1.5'], 'fh-c1-worker', 'zone-a')).toBe('kube-proxy on fh-c1-worker sends the echo service to 1 endpoint (10.244.2.5:8080), not the 1 in zone-a (10.244.1.5)');
    expect(zonePreferenceGap(['a:1', 'b:1', 'c:1'], ['a'], 'n', 'zone-a')).toMatch(/to 3 endpoints \(a:1, b:1, c:1\), not the 1 in zone-a/);
    expect(zonePreferenceGap([], ['a'], 'n', 'z')).toMatch(/to 0 endpoints \(none\)/);
  });
});

describe('awaitZonePreference (kube-proxy and kubectl answered by a fake executor)', () => {
  const experiment = parseExperiment(zoneOutage, 'zone-outage');
  const clusters = renderKindClusters(experiment.topology);
  const c = clusters[0]!;
  const containerOf = c.mapping.containerOf;
  const zoneNodes = (zone: string) => experiment.topology.nodes.filter((n) => n.locality.zone === zone && n.instances.length > 0).map((n) => containerOf[n.name]!);
  // Two Ready echo pods per zone, on that zone's instance nodes; one more terminating (never counted).
  const ipOf = (zone: string, i: number) => `10.244.${zone.charCodeAt(5)}.${i + 2}`;
  const pods = ['zone-a', 'zone-b', 'zone-c'].flatMap((zone) => [0, 1].map((i) => ({ spec: { nodeName: zoneNodes(zone)[i % zoneNodes(zone).length] }, status: { podIP: ipOf(zone, i), conditions: [{ type: 'Ready', status: 'True' }] } })));
  const terminating = { metadata: { deletionTimestamp: 'now' }, spec: { nodeName: zoneNodes('zone-a')[0] }, status: { podIP: '10.244.97.99', conditions: [{ type: 'Ready', status: 'True' }] } };
  const clientA = containerOf['client-a']!;

  function fake(spreadOn: { container: string; untilRestart: boolean } | null) {
    const calls: string[] = [];
    let restarted = false;
    const exec: Executor = {
      run: async (argv: readonly string[], _o?: RunOptions) => {
        calls.push(argv.join(' '));
        if (argv.includes('get') && argv.includes('pods')) return { stdout: JSON.stringify({ items: [...pods, terminating] }), stderr: '' };
        if (argv.includes('delete')) {
          restarted = true;
          return { stdout: '', stderr: '' };
        }
        const container = argv[argv.indexOf('exec') + 1]!;
        const zone = experiment.topology.clients.find((x) => containerOf[x.name] === container)!.locality.zone;
        const spread = spreadOn?.container === container && !(spreadOn.untilRestart && restarted);
        const ips = spread ? ['zone-a', 'zone-b', 'zone-c'].flatMap((z) => [ipOf(z, 0), ipOf(z, 1)]) : [ipOf(zone, 0), ipOf(zone, 1)];
        return { stdout: save(ips.map((ip) => `${ip}:8080`)), stderr: '' };
      },
      spawn: () => {
        throw new Error('not spawned');
      },
    };
    let now = 0;
    const clock: Clock = { now: () => now, sleep: async (ms) => void (now += ms) };
    const logs: string[] = [];
    const deps = { exec, docker: new DockerCli(), clock, log: (l: string) => logs.push(l), experiment, clusters, kube: () => new Kube(exec, 'kind-fh-c1', 'fh-c1') };
    return { deps, calls, logs };
  }

  it('in force on every client node: one read each, said once, nothing restarted', async () => {
    const { deps, calls, logs } = fake(null);
    await awaitZonePreference(deps);
    expect(calls.filter((x) => x.includes('iptables-save'))).toHaveLength(3);
    expect(calls.some((x) => x.includes('delete'))).toBe(false);
    expect(logs).toEqual([expect.stringMatching(new RegExp(`^PreferSameZone in force: kube-proxy on ${clientA} sends only to the 2 echo pods in zone-a, `))]);
  });

  it('spread on client-a\'s node until kube-proxy there restarts: restarted once, then in force, and said', async () => {
    const { deps, calls, logs } = fake({ container: clientA, untilRestart: true });
    await awaitZonePreference(deps);
    expect(calls.filter((x) => x.includes('delete'))).toEqual([`kubectl --context kind-fh-c1 -n kube-system delete pod -l k8s-app=kube-proxy --field-selector spec.nodeName=${clientA} --wait=true --timeout=60s`]);
    expect(logs[0]).toMatch(new RegExp(`^kube-proxy on ${clientA} sends the echo service to 6 endpoints .*, not the 2 in zone-a .*20 s after the echo pods were Ready.*restarting kube-proxy on ${clientA} \\(once\\)$`));
    expect(logs.at(-1)).toBe(`PreferSameZone in force after the kube-proxy restart: kube-proxy on ${clientA} sends only to the 2 echo pods in zone-a`);
  });

  it('still spread after the restart: refused (exit 3) naming the node, its endpoints and the cluster to delete', async () => {
    const { deps } = fake({ container: clientA, untilRestart: false });
    const error = await awaitZonePreference(deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).exitCode).toBe(3);
    expect((error as Error).message).toMatch(new RegExp(`^PreferSameZone is not in force before any fault, even after a kube-proxy restart: kube-proxy on ${clientA} sends the echo service to 6 endpoints`));
    expect((error as EnvironmentError).hint).toContain('kind delete cluster --name fh-c1');
  });
});
