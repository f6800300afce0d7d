// What the control-plane probes record, one JSON object per line in
// records/control-plane.ndjson.

export type ProbeOp = 'write' | 'read-linearizable' | 'read-serializable';

export interface ProbeRecord {
  probe: ProbeOp;
  sentAt: number;
  latencyMs: number;
  ok: boolean;
  /** Error class (timeout, unavailable, no-leader, …) when not ok. */
  error: string | null;
  /** The member that answered (or was last tried). */
  member: string | null;
  key: string;
  /** The probe stream (kind: the API server, named by its member) when there are several. */
  endpoint?: string;
}

/** One member's view of the cluster, polled at a fixed interval. */
export interface StatusRecord {
  probe: 'status';
  sentAt: number;
  /** Poll round: every member is asked once per round. */
  round: number;
  member: string;
  ok: boolean;
  leader: string | null;
  term: number | null;
}

export type ControlPlaneRecord = ProbeRecord | StatusRecord;
