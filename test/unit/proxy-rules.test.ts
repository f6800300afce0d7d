import { describe, expect, it } from 'vitest';
import { chainEndpoints, zonePreferenceGap } from '../../harness/providers/kubernetes/proxy-rules.js';

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
  });

  it('PreferSameZone is in force when the chain holds exactly the zone\'s endpoints; otherwise it says what it holds', () => {
    expect(zonePreferenceGap(['10.244.1.5:8080'], 1, 'fh-c1-worker', 'zone-a')).toBeNull();
    expect(zonePreferenceGap(['a:1', 'b:1', 'c:1'], 1, 'fh-c1-worker', 'zone-a')).toBe('kube-proxy on fh-c1-worker sends the echo service to 3 endpoints (a:1, b:1, c:1), not the 1 in zone-a');
    expect(zonePreferenceGap([], 1, 'n', 'z')).toMatch(/to 0 endpoints \(none\)/);
  });
});
