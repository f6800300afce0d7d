import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../harness/core/experiment.js';
import { pickMembers, type FaultSpec } from '../../harness/core/fault-spec.js';
import { parseEtcdMetrics, statusFromMetrics } from '../../harness/probes/etcd-metrics.js';
import etcdMemberLoss from '../../experiments/etcd-member-loss.js';

// Lines as etcd 3.4 prints them on /metrics (names checked against a running
// member; the integration and docker tests read a live one).
const METRICS = `# HELP etcd_server_has_leader Whether or not a leader exists. 1 is existence, 0 is not.
# TYPE etcd_server_has_leader gauge
etcd_server_has_leader 1
etcd_server_id{server_id="2e1259d415f2a040"} 1
# TYPE etcd_server_is_leader gauge
etcd_server_is_leader 0
etcd_server_is_learner 0
etcd_server_leader_changes_seen_total 3
`;

describe('etcd metrics', () => {
  it('reads leadership gauges, not their longer-named neighbours', () => {
    expect(parseEtcdMetrics(METRICS)).toEqual({ hasLeader: true, isLeader: false, leaderChanges: 3 });
    expect(parseEtcdMetrics(METRICS.replace('etcd_server_is_leader 0', 'etcd_server_is_leader 1'))).toMatchObject({ isLeader: true });
  });

  it('a member names itself leader only when it leads and a leader exists', () => {
    expect(statusFromMetrics('m1', { hasLeader: true, isLeader: true, leaderChanges: 1 })).toEqual({ leader: 'm1', term: null });
    expect(statusFromMetrics('m2', { hasLeader: true, isLeader: false, leaderChanges: 1 })).toEqual({ leader: null, term: null });
    expect(statusFromMetrics('m3', { hasLeader: false, isLeader: true, leaderChanges: 1 }).leader).toBeNull();
  });

  it('refuses text that is not etcd metrics', () => {
    expect(() => parseEtcdMetrics('<html>502 Bad Gateway</html>')).toThrow(/not etcd metrics/);
  });
});

describe('choosing members to lose', () => {
  const names = ['etcd-a', 'etcd-b', 'etcd-c'];
  const spec = (which: unknown, count: unknown = 1) =>
    parseExperiment({ ...etcdMemberLoss, faults: [{ kind: 'etcd-member-loss', which, count }] }, 't').faults[0] as Extract<FaultSpec, { kind: 'etcd-member-loss' }>;
  const leaderIs = (name: string | null) => async () => name;

  it('leader first, then followers; followers never include the leader', async () => {
    expect(await pickMembers(spec('leader'), names, leaderIs('etcd-b'))).toEqual(['etcd-b']);
    expect(await pickMembers(spec('leader', 2), names, leaderIs('etcd-b'))).toEqual(['etcd-b', 'etcd-a']);
    expect(await pickMembers(spec('follower', 2), names, leaderIs('etcd-a'))).toEqual(['etcd-b', 'etcd-c']);
  });

  it('names and "any" need no leader lookup; leader/follower without a leader fail clearly', async () => {
    const never = async () => {
      throw new Error('asked');
    };
    expect(await pickMembers(spec(['etcd-c']), names, never)).toEqual(['etcd-c']);
    expect(await pickMembers(spec('any', 'all'), names, never)).toEqual(names);
    await expect(pickMembers(spec('follower'), names, leaderIs(null))).rejects.toThrow(/no etcd leader/);
  });
});
