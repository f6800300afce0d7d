import { describe, expect, it } from 'vitest';
import type { Executor } from '../../harness/exec/index.js';
import { RunError, stderrDetail } from '../../harness/exec/run-error.js';
import { undoDockerNode } from '../../harness/providers/kind/docker-nodes.js';
import { driverLogTail } from '../../harness/providers/kubernetes/records.js';

// Findings of the first live kind runs (docs/providers.md), each pinned here where it is pure.

function fakeExec(answer: (argv: readonly string[]) => { stdout?: string; stderr?: string; fail?: boolean }): { exec: Executor; calls: string[] } {
  const calls: string[] = [];
  const exec = {
    run: async (argv: readonly string[]) => {
      calls.push(argv.join(' '));
      const a = answer(argv);
      if (a.fail) throw Object.assign(new Error(a.stderr ?? 'failed'), { stderr: a.stderr ?? '' });
      return { stdout: a.stdout ?? '', stderr: '', exitCode: 0 };
    },
    spawn: () => {
      throw new Error('not used');
    },
  } as unknown as Executor;
  return { exec, calls };
}

describe('isolate revert on a network whose IPv4 subnet Docker chose (live: Docker 20.10)', () => {
  const refused = 'Error response from daemon: user specified IP address is supported only when connecting to networks with user configured subnets';

  it('reconnects without --ip and checks the address: the node is never left disconnected', async () => {
    const { exec, calls } = fakeExec((argv) => {
      const line = argv.join(' ');
      if (line.includes('connect --ip')) return { fail: true, stderr: refused };
      if (line.includes('inspect')) return { stdout: '172.18.0.2' };
      return {};
    });
    await undoDockerNode(exec, { action: 'disconnect', container: 'fh-c1-worker', network: 'kind', ip: '172.18.0.2' });
    expect(calls.filter((c) => c.includes('network connect'))).toEqual(['docker network connect --ip 172.18.0.2 kind fh-c1-worker', 'docker network connect kind fh-c1-worker']);
  });

  it('still fails loudly when Docker hands the node another address', async () => {
    const { exec } = fakeExec((argv) => {
      const line = argv.join(' ');
      if (line.includes('connect --ip')) return { fail: true, stderr: refused };
      if (line.includes('inspect')) return { stdout: '172.18.0.9' };
      return {};
    });
    await expect(undoDockerNode(exec, { action: 'disconnect', container: 'fh-c1-worker', network: 'kind', ip: '172.18.0.2' })).rejects.toThrow(/172\.18\.0\.9, not 172\.18\.0\.2/);
  });
});

describe("a crashed driver's last words in the error", () => {
  it('joins the log tail on one line and keeps its end', () => {
    expect(driverLogTail('scheduled client-a 1\n\nAssertionError [ERR_ASSERTION]: x\n  assert(client[kSize] === 0)\n')).toBe('scheduled client-a 1 | AssertionError [ERR_ASSERTION]: x | assert(client[kSize] === 0)');
    expect(driverLogTail('y'.repeat(1000)).length).toBe(601);
  });
});

describe('a failed command says why, not only its stack trace (kind create, live)', () => {
  it("keeps kind's ERROR line above a Go stack trace", () => {
    const stderr = [
      'Creating cluster "fh-c1" ...',
      'ERROR: failed to create cluster: failed to join node with kubeadm: command "docker exec --privileged fh-c1-control-plane2 kubeadm join" failed with error: exit status 1',
      'Stack Trace:',
      'sigs.k8s.io/kind/pkg/errors.WithStack',
      '\truntime/proc.go:285',
      '\truntime/asm_amd64.s:1693',
    ].join('\n');
    const message = new RunError({ argv: ['kind', 'create', 'cluster'], stdout: '', stderr, exitCode: 1, signal: undefined, timedOut: false }).message;
    expect(message).toContain('ERROR: failed to create cluster: failed to join node with kubeadm');
    expect(message).toMatch(/asm_amd64\.s:1693$/);
    // Without an ERROR line, the last three lines as before.
    expect(stderrDetail('a\nb\nc\nd\n')).toBe('b | c | d');
  });
});
