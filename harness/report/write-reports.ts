import { join } from 'node:path';
import type { Journal } from '../core/journal.js';
import { writeAtomic } from './atomic-write.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderHtml } from './html.js';

const REPORTERS: { file: string; render: (j: Journal) => string }[] = [
  { file: 'report.json', render: renderJson },
  { file: 'report.md', render: renderMarkdown },
  { file: 'junit.xml', render: renderJunit },
  { file: 'report.html', render: renderHtml },
];

/** Writes every report; one reporter's failure does not stop the others. Returns the failures. */
export function writeReports(dir: string, journal: Journal): string[] {
  const failures: string[] = [];
  for (const { file, render } of REPORTERS) {
    try {
      writeAtomic(join(dir, file), render(journal));
    } catch (error) {
      failures.push(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return failures;
}
