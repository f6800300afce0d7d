import { describe, expect, it } from 'vitest';
import { failureLines } from '../../scripts/failure-lines.js';

describe('failureLines (what CI prints under each failed test)', () => {
  it('keeps the first line and those that say why, drops colour, the stack and the console noise', () => {
    const message = [
      'AssertionError: [04:50:19.388] root: using network namespaces',
      '[04:50:20.001] client-a   20 req/s    0 failed',
      '  \x1b[31m✗ client(client-a).failback.timeMs < 10s  (actual never, expected < 10000 ms)\x1b[39m',
      '  ✓ client(client-b).fault.errorRate == 0  (actual 0%)',
      'zone-outage: FAILED: 1 of 10 assertions failed: expected 1 to be 0 // Object.is equality',
      '    at /work/main/test/integration/interrupt.test.ts:103:26',
      '  ✗ not a reason: below the stack',
    ].join('\n');
    expect(failureLines(message)).toEqual([
      'AssertionError: [04:50:19.388] root: using network namespaces',
      '✗ client(client-a).failback.timeMs < 10s  (actual never, expected < 10000 ms)',
      'zone-outage: FAILED: 1 of 10 assertions failed: expected 1 to be 0 // Object.is equality',
    ]);
  });

  it('a refusal names itself; at most six lines, the last reasons kept, each cut at 240 characters', () => {
    const refused = failureLines('AssertionError: x\nerror: the traffic driver could not send 9 of 600 requests on time');
    expect(refused[1]).toContain('could not send');
    const many = failureLines(['first', ...Array.from({ length: 9 }, (_, i) => `✗ ${i} ${'y'.repeat(300)}`)].join('\n'));
    expect(many).toHaveLength(6);
    expect(many[1]!.startsWith('✗ 4 ')).toBe(true);
    expect(many[5]!.length).toBe(240);
    expect(failureLines(undefined)).toEqual(['']);
  });
});
