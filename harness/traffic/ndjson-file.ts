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
  /**
   * A short hash of each block of `blockLines` physical lines, in order (the
   * last block may be shorter): where a changed file first differs, so a line
   * removed from the middle is located, not blamed on the tail. Absent in
   * reports written before it was recorded.
   */
  blockLines?: number;
  blocks?: string[];
}

/** Lines per block as read (the finest location); a report keeps at most MAX_BLOCKS blocks, merging pairs of blocks until it does. */
export const LEAF_LINES = 8;
const MAX_BLOCKS = 4096;

const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex').slice(0, 8);

/** Hashes a byte stream in blocks of LEAF_LINES lines (MD5, cut to 8 hex digits: it locates, the SHA-256 vouches). */
class BlockHashes {
  readonly blocks: string[] = [];
  private hash = createHash('md5');
  private linesInBlock = 0;
  private bytesInBlock = 0;

  update(data: Buffer): void {
    let from = 0;
    for (let nl = data.indexOf(0x0a, from); nl >= 0; nl = data.indexOf(0x0a, from)) {
      this.hash.update(data.subarray(from, nl + 1));
      this.bytesInBlock += nl + 1 - from;
      from = nl + 1;
      if (++this.linesInBlock === LEAF_LINES) this.cut();
    }
    if (from < data.length) {
      this.hash.update(data.subarray(from));
      this.bytesInBlock += data.length - from;
    }
  }

  end(): string[] {
    if (this.bytesInBlock > 0) this.cut();
    return this.blocks;
  }

  private cut(): void {
    this.blocks.push(this.hash.digest('hex').slice(0, 8));
    this.hash = createHash('md5');
    this.linesInBlock = 0;
    this.bytesInBlock = 0;
  }
}

/** The digest with its blocks merged pairwise until they are `blockLines` long (or, without it, at most MAX_BLOCKS of them). */
export function coarsened(d: FileDigest, blockLines?: number): FileDigest {
  if (!d.blocks || !d.blockLines) return d;
  let blocks = d.blocks;
  let lines = d.blockLines;
  while (blockLines !== undefined ? lines < blockLines : blocks.length > MAX_BLOCKS) {
    const merged: string[] = [];
    for (let i = 0; i < blocks.length; i += 2) merged.push(i + 1 < blocks.length ? md5(blocks[i]! + blocks[i + 1]!) : md5(blocks[i]!));
    blocks = merged;
    lines *= 2;
  }
  return { ...d, blockLines: lines, blocks };
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
  const blocks = new BlockHashes();
  const sha256 = eachChunk(path, (data) => {
    blocks.update(data);
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
  return { lines, sha256, blockLines: LEAF_LINES, blocks: blocks.end() };
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
  const blocks = new BlockHashes();
  const sha256 = eachChunk(path, (data) => {
    blocks.update(data);
    for (const byte of data) {
      if (byte === 0x0a) {
        if (inLine) lines++;
        inLine = false;
      } else if (byte !== 0x20 && byte !== 0x0d && byte !== 0x09) inLine = true;
    }
  });
  return { lines: inLine ? lines + 1 : lines, sha256, blockLines: LEAF_LINES, blocks: blocks.end() };
}
