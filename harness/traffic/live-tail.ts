import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ProbeRecord } from '../probes/record.js';
import type { RequestRecord } from './record.js';

/**
 * Bytes read from one file per call at most: a console that falls behind a
 * very fast run reads the rest on later calls instead of holding the backlog
 * in memory at once.
 */
const MAX_READ_BYTES = 16 * 1024 * 1024;

/** Reads the request records (and control-plane probes) appended to a folder's *.ndjson files since the last call. */
export class RecordTail {
  private readonly offsets = new Map<string, number>();
  private readonly partial = new Map<string, string>();

  constructor(private readonly dir: string) {}

  /** Probe records seen by the last read() calls, until taken. */
  private probes: ProbeRecord[] = [];

  takeProbes(): ProbeRecord[] {
    const out = this.probes;
    this.probes = [];
    return out;
  }

  read(): RequestRecord[] {
    let files: string[];
    try {
      files = readdirSync(this.dir).filter((f) => f.endsWith('.ndjson'));
    } catch {
      return [];
    }
    const out: RequestRecord[] = [];
    for (const name of files) {
      const path = join(this.dir, name);
      const offset = this.offsets.get(path) ?? 0;
      const size = Math.min(statSync(path).size, offset + MAX_READ_BYTES);
      if (size <= offset) continue;
      const buffer = Buffer.alloc(size - offset);
      const fd = openSync(path, 'r');
      try {
        readSync(fd, buffer, 0, buffer.length, offset);
      } finally {
        closeSync(fd);
      }
      this.offsets.set(path, size);
      const text = (this.partial.get(path) ?? '') + buffer.toString('utf8');
      const lines = text.split('\n');
      this.partial.set(path, lines.pop() ?? '');
      for (const line of lines) {
        if (!line) continue;
        try {
          const r = JSON.parse(line) as RequestRecord | ProbeRecord;
          if ('client' in r) out.push(r);
          else if ('probe' in r && r.probe !== ('status' as string)) this.probes.push(r);
        } catch {
          // a line cut mid-write is completed on the next read
        }
      }
    }
    return out;
  }
}
