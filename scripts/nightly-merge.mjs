#!/usr/bin/env zx
// Nightly glue, meant to be read and adapted: merges the report folders of a
// CI matrix (one artifact per experiment and data plane) into one reports
// folder with one run history page and, for an experiment run on several data
// planes, a compare page; and writes the GitHub job summary: each run's
// verdict and failover summary (report.md up to its collapsed details), failed
// runs first, then where the comparisons are.
//
// Usage: npx zx scripts/nightly-merge.mjs ARTIFACTS_DIR OUT_DIR
//   ARTIFACTS_DIR: where actions/download-artifact put the artifacts (one folder each)
//   OUT_DIR:       the merged reports folder (index.html is the history page)
// Appends to $GITHUB_STEP_SUMMARY when it is set; prints the summary otherwise.
import { $, argv, fs, glob, path } from 'zx';

const [artifacts, out] = argv._;
if (!artifacts || !out) {
  console.error('usage: npx zx scripts/nightly-merge.mjs ARTIFACTS_DIR OUT_DIR');
  process.exit(2);
}
if (!(await fs.pathExists(artifacts))) {
  console.error(`${artifacts}: no such folder (did the download step run?)`);
  process.exit(2);
}

// Every run folder is the folder of a report.json.
const runs = (await glob('**/report.json', { cwd: artifacts })).map((f) => path.join(artifacts, path.dirname(f)));
await fs.ensureDir(out);
const merged = [];
for (const dir of runs) {
  const journal = await fs.readJson(path.join(dir, 'report.json'));
  // Artifact folders may hold runs of the same name: the run id keeps them apart.
  const name = `${path.basename(dir)}-${journal.runId}`;
  await fs.copy(dir, path.join(out, name));
  merged.push({ name, journal, markdown: await fs.readFile(path.join(dir, 'report.md'), 'utf8').catch(() => '') });
}

// The history page of the merged folder: the harness's own index writer.
await $`npm run -s report -- --index ${out}`;

// One experiment run on several data planes (the matrix's mesh axis): a compare page each.
const byExperiment = new Map();
for (const r of merged) byExperiment.set(r.journal.experiment, [...(byExperiment.get(r.journal.experiment) ?? []), r]);
const compared = [];
for (const [experiment, runsOf] of byExperiment) {
  if (runsOf.length < 2) continue;
  const dest = path.join(out, `compare-${experiment}`);
  await $`npm run -s report -- --compare ${runsOf.map((r) => path.join(out, r.name))} --out ${dest}`;
  compared.push(`- ${experiment}: \`compare-${experiment}/compare.html\` (${runsOf.map((r) => r.journal.environment?.mesh ?? r.journal.provider).join(' · ')})`);
}

const order = { error: 0, failed: 1, aborted: 2, unverified: 3, passed: 4 };
merged.sort((a, b) => (order[a.journal.status] ?? 5) - (order[b.journal.status] ?? 5));
const summary = [
  `# Nightly: ${merged.filter((r) => r.journal.status === 'passed').length} of ${merged.length} runs passed`,
  '',
  ...merged.flatMap(({ name, markdown }) => [
    // report.md up to its <details>: verdict, failover summary, assertions (failed first).
    markdown.split('<details>')[0].trim().replace(/^# /, '## '),
    '',
    `Full report: \`${name}/report.html\` in the merged artifact.`,
    '',
  ]),
  ...(compared.length ? ['## Side by side, per data plane', '', ...compared, ''] : []),
].join('\n');

if (process.env.GITHUB_STEP_SUMMARY) await fs.appendFile(process.env.GITHUB_STEP_SUMMARY, `${summary}\n`);
else console.log(summary);
console.log(`merged ${merged.length} runs into ${out} (history: ${path.join(out, 'index.html')})`);
// The merge fails the job when any run did not pass, so the summary and the check agree.
process.exit(merged.every((r) => r.journal.status === 'passed') ? 0 : 1);
