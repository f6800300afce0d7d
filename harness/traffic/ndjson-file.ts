import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

// Reads an NDJSON records file in chunks: no string of the whole file, no
// array of lines. Counts lines and hashes the bytes on the way, so a report
// can record what it was computed from and a later reader can tell a file
// that changed or lost its tail.

export interface FileDigest {
  /** Non-empty lines. */
  lines: number;
  sha256: string;
}

/** A line that is not JSON: the file was torn (a crash mid-write) or edited. */
export class TornLineError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}: line ${line} is not a complete JSON record (${detail})`);
    this.name = 'TornLineError';
  }
}

const CHUNK = 4 * 1024 * 1024;

/** Calls `each` with every parsed line and its 1-based number; returns the file's line count and SHA-256. */
export function readNdjson<T>(path: string, each: (value: T, line: number) => void): FileDigest {
  // Decodes whole chunks (a character split across two chunks is held back by the decoder).
  const decoder = new StringDecoder('utf8');
  let lineNo = 0;
  let lines = 0;
  let carry = '';
  const take = (text: string) => {
    lineNo++;
    if (text.trim() === '') return;
    let value: T;
    try {
      value = JSON.parse(text) as T;
    } catch (error) {
      throw new TornLineError(path, lineNo, error instanceof Error ? error.message : String(error));
    }
    lines++;
    each(value, lineNo);
  };
  const sha256 = eachChunk(path, (data) => {
    const text = carry + decoder.write(data);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      take(text.slice(start, nl));
      start = nl + 1;
    }
    carry = text.slice(start);
  });
  carry += decoder.end();
  if (carry.length > 0) take(carry);
  return { lines, sha256 };
}

/** Reads a file in CHUNK-sized pieces (one buffer, reused: `each` must not keep it); returns its SHA-256. */
function eachChunk(path: string, each: (data: Buffer) => void): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK);
    for (let n = readSync(fd, chunk, 0, CHUNK, null); n > 0; n = readSync(fd, chunk, 0, CHUNK, null)) {
      const data = chunk.subarray(0, n);
      hash.update(data);
      each(data);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Line count and SHA-256 of a records file as it is on disk now, without parsing it. */
export function digestFile(path: string): FileDigest {
  let lines = 0;
  let inLine = false;
  const sha256 = eachChunk(path, (data) => {
    for (const byte of data) {
      if (byte === 0x0a) {
        if (inLine) lines++;
        inLine = false;
      } else if (byte !== 0x20 && byte !== 0x0d && byte !== 0x09) inLine = true;
    }
  });
  return { lines: inLine ? lines + 1 : lines, sha256 };
}
