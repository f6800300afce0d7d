import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { errorMessage, UsageError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';

// Finds an experiment by name (experiments/NAME.ts) or path (.ts, .yaml, .yml, .json).

/** An experiment file's largest size: a topology of hundreds of nodes fits in a few hundred kB. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

export const EXPERIMENTS_DIR = fileURLToPath(new URL('../../experiments/', import.meta.url));

export function experimentNames(): string[] {
  return readdirSync(EXPERIMENTS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function importModule(path: string): Promise<unknown> {
  const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  if (mod.default === undefined) throw new UsageError(`${path}: the module has no default export; export default defineExperiment({...})`);
  return mod.default;
}

function looksLikePath(ref: string): boolean {
  return ref.includes('/') || ['.ts', '.yaml', '.yml', '.json'].includes(extname(ref));
}

/** Returns the raw (unvalidated) experiment and where it came from, for error messages. */
export async function loadExperiment(ref: string): Promise<{ raw: unknown; source: string }> {
  if (!looksLikePath(ref)) {
    const names = experimentNames();
    if (!names.includes(ref)) {
      throw new UsageError(`unknown experiment "${ref}"${didYouMean(ref, names)}`, `list them with: npm run experiment -- --list`);
    }
    const path = resolve(EXPERIMENTS_DIR, `${ref}.ts`);
    return { raw: await importModule(path), source: `experiments/${ref}.ts` };
  }
  const path = resolve(ref);
  if (!existsSync(path)) throw new UsageError(`experiment file ${ref} does not exist`);
  const stat = statSync(path);
  if (stat.isDirectory()) throw new UsageError(`${ref} is a directory, not an experiment file`, 'name a .ts, .yaml, .yml or .json file, or an experiment from npm run experiment -- --list');
  // A FIFO, a socket or a device would be read until somebody writes to it or forever: only regular files.
  if (!stat.isFile()) throw new UsageError(`${ref} is not a regular file (a pipe, socket or device)`, 'save the experiment to a file and name that');
  if (stat.size > MAX_FILE_BYTES) throw new UsageError(`${ref} is ${stat.size} bytes; an experiment file is at most ${MAX_FILE_BYTES} bytes`);
  const ext = extname(path);
  if (ext === '.ts') return { raw: await importModule(path), source: ref };
  const text = readFileSync(path, 'utf8');
  const format = ext === '.json' ? 'JSON' : 'YAML';
  try {
    // maxAliasCount bounds what aliases may expand to (a "billion laughs" file is refused, not expanded).
    return { raw: ext === '.json' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 }), source: ref };
  } catch (error) {
    const pos = error instanceof YAMLParseError ? error.linePos?.[0] : undefined;
    throw new UsageError(`${ref}${pos ? `:${pos.line}:${pos.col}` : ''}: not valid ${format}: ${errorMessage(error).split('\n')[0]}`);
  }
}
