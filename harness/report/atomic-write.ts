import { renameSync, writeFileSync } from 'node:fs';

/** Writes via a temp file and rename, so a reader never sees half a report. */
export function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}
