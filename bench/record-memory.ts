// Child of bench/driver.ts: loads N request records from an NDJSON file into
// record columns and prints one JSON line with what they cost. Run with
// --expose-gc so the figures are of live memory, not garbage not yet collected.
// Usage: node --expose-gc --import tsx bench/record-memory.ts FILE
import { readNdjson } from '../harness/traffic/ndjson-file.js';
import { RecordColumns } from '../harness/traffic/record-columns.js';
import type { RequestRecord } from '../harness/traffic/record.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const file = process.argv[2];
if (!file) throw new Error('usage: record-memory FILE');
gc();
const before = process.memoryUsage();
const columns = new RecordColumns();
readNdjson<RequestRecord>(file, (r) => columns.push(r));
columns.trim();
// The arrays outgrown while loading are freed by V8 after collection, not during it: collect, wait, collect.
gc();
await new Promise((r) => setTimeout(r, 300));
gc();
const after = process.memoryUsage();
// Array buffers are outside the JS heap: count both.
const live = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
console.log(
  JSON.stringify({
    records: columns.length,
    bytesPerRecord: live / columns.length,
    columnBytesPerRecord: columns.byteLength() / columns.length,
    rssGrowthMiB: (after.rss - before.rss) / 1024 / 1024,
    rssMiB: after.rss / 1024 / 1024,
  }),
);
