// One request as the traffic driver saw it. Written one JSON object per line to
// the report folder, so anyone can recompute the figures.

export const ERROR_CLASSES = ['timeout', 'connection-refused', 'connection-reset', 'http-status', 'bad-response', 'driver-overload', 'other'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

export interface RequestRecord {
  client: string;
  /** Epoch milliseconds when the request was sent. */
  sentAt: number;
  latencyMs: number;
  /** HTTP status, 0 when no response arrived. */
  status: number;
  error: ErrorClass | null;
  /** Who served it (from the response), null on failure. */
  instance: string | null;
  cluster: string | null;
  region: string | null;
  zone: string | null;
  subzone: string | null;
}

/** Records as NDJSON, one per line: the format of records/<client>.ndjson. */
export function formatRecords(records: readonly RequestRecord[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}

export function parseRecords(ndjson: string): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (const line of ndjson.split('\n')) {
    if (line.trim() === '') continue;
    out.push(JSON.parse(line) as RequestRecord);
  }
  return out;
}
