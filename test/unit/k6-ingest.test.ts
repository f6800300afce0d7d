import { describe, expect, it } from 'vitest';
import { errorClassOf, ingestK6 } from '../../harness/traffic/k6/ingest.js';

// k6 `--out json` lines in the documented shape (type/metric/data with
// time, value, tags), as driver.js tags them.
const point = (metric: string, value: number, tags: Record<string, string> | null, time = '2026-11-22T05:00:00.500000000Z') => JSON.stringify({ type: 'Point', data: { time, value, tags }, metric });
const served = { status: '200', error_code: '0', instance: 'svc-a-1', cluster: 'c1', region: 'r', zone: 'zone-a', subzone: '' };

describe('k6 output → request records', () => {
  it('turns fh_request points into records and ignores every other metric', () => {
    const text = [
      JSON.stringify({ type: 'Metric', data: { type: 'trend', contains: 'time', tainted: null, thresholds: [], submetrics: null }, metric: 'fh_request' }),
      point('http_req_duration', 3.2, { method: 'GET', status: '200' }),
      point('fh_request', 3.5, { ...served, sent_at: '1700000000200' }),
      point('fh_request', 2000.4, { sent_at: '1700000000100', status: '0', error_code: '1050' }),
      point('vus', 5, null),
      '',
    ].join('\n');
    expect(ingestK6('client-a', text)).toEqual([
      { client: 'client-a', sentAt: 1700000000100, latencyMs: 2000.4, status: 0, error: 'timeout', instance: null, cluster: null, region: null, zone: null, subzone: null },
      { client: 'client-a', sentAt: 1700000000200, latencyMs: 3.5, status: 200, error: null, instance: 'svc-a-1', cluster: 'c1', region: 'r', zone: 'zone-a', subzone: '' },
    ]);
  });

  it('a request k6 could not start in time is a driver overload, as with the node driver', () => {
    const [r] = ingestK6('c', point('dropped_iterations', 1, { scenario: 'traffic' }, '2026-11-22T05:00:01.250Z'));
    expect(r).toMatchObject({ sentAt: Date.parse('2026-11-22T05:00:01.250Z'), error: 'driver-overload', status: 0 });
  });

  it('maps k6 error codes and answers to the harness error classes', () => {
    expect(errorClassOf(0, 1212, false)).toBe('connection-refused');
    expect(errorClassOf(0, 1220, false)).toBe('connection-reset');
    expect(errorClassOf(0, 1211, false)).toBe('timeout');
    expect(errorClassOf(0, 1000, false)).toBe('other');
    expect(errorClassOf(503, 0, false)).toBe('http-status');
    expect(errorClassOf(200, 0, true)).toBe('bad-response');
    expect(errorClassOf(200, 0, false)).toBeNull();
    // A 200 without an identity is not a served request.
    expect(ingestK6('c', point('fh_request', 1, { sent_at: '1', status: '200', error_code: '0' }))[0]!.error).toBe('bad-response');
  });

  it('survives a last line cut off by a killed k6', () => {
    const text = `${point('fh_request', 3, { ...served, sent_at: '5' })}\n{"type":"Point","data":{"ti`;
    expect(ingestK6('c', text)).toHaveLength(1);
  });
});
