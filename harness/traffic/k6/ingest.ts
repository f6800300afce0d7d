import type { ErrorClass, RequestRecord } from '../record.js';

// k6's `--out json` lines → the harness's request records. Pure. A line is
// `{"type":"Point","metric":NAME,"data":{"time":ISO,"value":N,"tags":{…}}}`;
// driver.js writes one `fh_request` point per request, and k6 writes a
// `dropped_iterations` point for each request it could not start in time
// (the node driver's "driver-overload").

interface K6Line {
  type?: string;
  metric?: string;
  data?: { time?: string; value?: number; tags?: Record<string, string> | null };
}

/** k6 error codes (k6 docs, "Error codes") → the harness's error classes. */
export function errorClassOf(status: number, errorCode: number, badBody: boolean): ErrorClass | null {
  if (errorCode === 1050 || errorCode === 1211) return 'timeout';
  if (errorCode === 1212) return 'connection-refused';
  if (errorCode === 1220 || errorCode === 1201) return 'connection-reset';
  if (errorCode !== 0 && status === 0) return 'other';
  if (status !== 200) return 'http-status';
  if (badBody) return 'bad-response';
  return null;
}

export function ingestK6(client: string, text: string): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let parsed: K6Line;
    try {
      parsed = JSON.parse(line) as K6Line;
    } catch {
      continue; // a line cut off by a killed k6
    }
    if (parsed.type !== 'Point' || !parsed.data) continue;
    const tags = parsed.data.tags ?? {};
    const base = { client, instance: null, cluster: null, region: null, zone: null, subzone: null };
    if (parsed.metric === 'dropped_iterations') {
      const at = Date.parse(parsed.data.time ?? '');
      if (Number.isFinite(at)) out.push({ ...base, sentAt: at, latencyMs: 0, status: 0, error: 'driver-overload' });
      continue;
    }
    if (parsed.metric !== 'fh_request') continue;
    const status = Number(tags.status ?? 0);
    const error = errorClassOf(status, Number(tags.error_code ?? 0), tags.bad_body === '1' || (status === 200 && !tags.instance));
    out.push({
      ...base,
      sentAt: Number(tags.sent_at),
      latencyMs: parsed.data.value ?? 0,
      status,
      error,
      // Who answered, whenever an instance said so (an injected error status included).
      ...(error === null || (error === 'http-status' && tags.instance)
        ? { instance: tags.instance ?? null, cluster: tags.cluster ?? null, region: tags.region ?? null, zone: tags.zone ?? null, subzone: tags.subzone ?? null }
        : {}),
    });
  }
  return out.sort((a, b) => a.sentAt - b.sentAt);
}
