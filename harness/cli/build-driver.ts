// Bundles the traffic driver into one JavaScript file (see traffic/driver-bundle.ts).
// The kind image runs it at build time: node --import tsx harness/cli/build-driver.ts dist/driver.mjs
import { resolve } from 'node:path';
import { realExecutor } from '../exec/index.js';
import { buildDriverBundle } from '../traffic/driver-bundle.js';

const out = process.argv[2];
if (!out) {
  console.error('usage: build-driver OUT_FILE');
  process.exit(2);
}
console.log(await buildDriverBundle(realExecutor, resolve(out)));
