// Sums vitest JSON reports into the one line CI reads: "tests: N passed, N failed, N skipped".
// A missing report (the runner crashed) counts as one failure.
import { readFileSync } from 'node:fs';
import { failureLines } from './failure-lines.js';

let passed = 0;
let failed = 0;
let skipped = 0;
const failures: string[] = [];
// The first line, and below it (indented) those that say why.
const why = (m: string | undefined): string => failureLines(m).join('\n    ');
for (const file of process.argv.slice(2)) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
      numTodoTests: number;
      success?: boolean;
      testResults: { name: string; status: string; message?: string; assertionResults: { status: string; fullName: string; failureMessages?: string[] }[] }[];
    };
    // A suite that failed outside its tests (a hook, an import) is a failure too.
    const outside = r.testResults.filter((f) => f.status === 'failed' && !f.assertionResults.some((a) => a.status === 'failed'));
    // Name each failure here, next to the count: CI keeps only the end of the log.
    for (const f of r.testResults) {
      for (const a of f.assertionResults.filter((x) => x.status === 'failed')) failures.push(`${file}: ${a.fullName}: ${why(a.failureMessages?.[0])}`);
    }
    for (const f of outside) failures.push(`${file}: ${f.name}: ${why(f.message)}`);
    passed += r.numPassedTests;
    failed += r.numFailedTests + outside.length;
    skipped += r.numPendingTests + r.numTodoTests;
    // A run that failed before any test (a global setup: the kind-live suite's image build) is a failure too.
    if (r.success === false && r.numFailedTests === 0 && !r.testResults.some((f) => f.status === 'failed')) {
      console.log(`${file}: the run failed outside its tests`);
      failed += 1;
    }
  } catch {
    console.log(`missing or unreadable test report ${file}`);
    failed += 1;
  }
}
for (const f of failures) console.log(`FAILED ${f}`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
