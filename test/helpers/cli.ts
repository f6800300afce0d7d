import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Journal } from '../../harness/core/journal.js';
import { parseRecords, type RequestRecord } from '../../harness/traffic/record.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A shorter baseline; the fault and recovery phases stay the experiment's own:
 * a dead zone may still serve the one or two requests sent while the inject
 * action runs, and assertions of `<= 2%` need the experiment's sample count
 * (with a 4 s fault, 2 such requests were 3.5% in one CI run); and on Envoy a
 * failback waits out the ejection in progress (base × n), which the
 * experiments' recovery phases are sized for.
 */
export const FAST = ['--baseline', '2s'];

const made = new Set<string>();

/** A scratch folder under /tmp, removed by `removeTempDirs` (run after each test file; see temp-cleanup.ts). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `fh-${prefix}-`));
  made.add(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}

export function startCli(args: string[], script = 'experiment'): ResultPromise<{ reject: false; all: true }> {
  return execa(process.execPath, ['--import', 'tsx', `harness/cli/${script}.ts`, ...args], { cwd: REPO, reject: false, all: true });
}

export async function runCli(args: string[], script = 'experiment'): Promise<{ exitCode: number; output: string }> {
  const r = await startCli(args, script);
  return { exitCode: r.exitCode ?? -1, output: String(r.all ?? '') };
}

export function readJournal(dir: string): Journal {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Journal;
}

export function readRecords(dir: string, client: string): RequestRecord[] {
  return parseRecords(readFileSync(join(dir, 'records', `${client}.ndjson`), 'utf8'));
}
