import type { Journal } from '../core/journal.js';

export function renderJson(journal: Journal): string {
  return `${JSON.stringify(journal, null, 2)}\n`;
}
