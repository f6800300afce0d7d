import { execa } from 'execa';
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { fmtTime } from '../../harness/report/format.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST, readJournal, REPO, runCli, tempDir } from '../helpers/cli.js';
import { renderHtml } from '../../harness/report/html.js';
import { twoInjectionJournal } from '../helpers/two-injections.js';

// Opens report.html and the run index in real headless Chromium (Debian's
// package): no console errors, no network requests, the verdict, every
// assertion row, and charts with the expected series. Saves screenshots.

const CHROMIUM = '/usr/bin/chromium';
let browser: Browser;

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'], // playwright gives each launch a fresh temporary profile,
  });
});
afterAll(async () => {
  await browser?.close();
});

async function open(file: string) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${file}`);
  return { page, errors, requests };
}

/** #failover-summary exists and comes before the first chart in the document. */
async function expectSummaryFirst(page: Page): Promise<void> {
  expect(await page.locator('#failover-summary').count()).toBe(1);
  const first = await page.evaluate(() => {
    const summary = document.getElementById('failover-summary');
    const chart = document.querySelector('.chart');
    return summary !== null && chart !== null && (summary.compareDocumentPosition(chart) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
  });
  expect(first).toBe(true);
}

describe('report.html in Chromium', () => {
  const parent = tempDir('reports');
  const dirs = [join(parent, 'run-1'), join(parent, 'run-2')];

  it('shows the verdict, every assertion, and the failover on the timeline', async () => {
    writeFileSync(join(parent, 'index.json'), '{}'); // opt this folder into the run index
    for (const dir of dirs) {
      const { exitCode } = await runCli(['zone-outage', '--isolation', 'process', '--report-dir', dir, ...FAST]);
      expect(exitCode).toBe(0);
    }
    const dir = dirs[0]!;
    const j = readJournal(dir);
    const { page, errors, requests } = await open(join(dir, 'report.html'));
    expect(await page.textContent('#verdict')).toBe('PASSED');
    // What carried the traffic, said before any figure: locally the whole policy is in force (or the run is refused).
    expect(await page.textContent('#data-plane')).toContain('Data plane: local Envoy 1.38.3 sidecars (process) (the whole failover policy in force)');
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('Data plane: **local Envoy 1.38.3 sidecars (process)** (the whole failover policy in force)');
    expect(await page.locator('tr.assertion').count()).toBe(j.assertions.length);
    expect(await page.locator('tr.assertion.fail').count()).toBe(0);
    // One timeline and one latency chart per client, plus the zone-a client's failover.
    expect(await page.locator('.chart.timeline svg').count()).toBe(j.clients.length);
    expect(await page.locator('.chart.latency svg').count()).toBe(j.clients.length);
    const timelineA = (await page.locator('.chart.timeline[data-client="client-a"]').textContent()) ?? '';
    for (const label of ['zone-a', 'zone-b', 'zone-c', 'failed', 'fault', 'revert']) expect(timelineA).toContain(label);
    const clientA = j.clients.find((c) => c.name === 'client-a')!;
    // The recovery pin is drawn when the client lost requests (on Envoy a killed zone often costs none: retries).
    if (clientA.phases.fault.failed > 0) expect(timelineA).toContain(`recovered (green) ${Math.round(clientA.recoveryTimeMs!)} ms after the fault`);
    else expect(timelineA).not.toContain('recovered (green)');
    // Bars were drawn for the served zones.
    expect(await page.locator('.chart.timeline[data-client="client-a"] svg path').count()).toBeGreaterThan(20);
    expect(await page.locator('#topology .node.down').count()).toBeGreaterThan(0);
    // The failover summary: before any chart, the right client, where it went, its times.
    await expectSummaryFirst(page);
    const rowA = (await page.locator('#failover-summary tr.summary-row[data-client="client-a"]').textContent()) ?? '';
    expect(rowA).toMatch(/zone-a → eu-west-1\/zone-[bc] \d+(\.\d)?%, eu-west-1\/zone-[bc]/);
    expect(rowA).toContain(fmtTime(clientA.recoveryTimeMs));
    expect(rowA).toContain(fmtTime(clientA.timeToFailoverMs));
    expect(rowA).toContain(`${clientA.phases.fault.failed}/${clientA.phases.fault.requests} failed`);
    expect(rowA).toMatch(/budget < /);
    expect(await page.locator('#failover-summary tr.summary-row').count()).toBe(1);
    expect(await page.locator('#failover-summary .untouched').textContent()).toMatch(/client-b, client-c/);
    await page.screenshot({ path: join(dir, 'summary.png') });
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    expect(statSync(join(dir, 'report.html')).size).toBeLessThan(3_000_000);
  });

  let drainDir = '';
  it('drain-listeners: the summary names the drained client and where it went', async () => {
    const dir = tempDir('dl-summary');
    drainDir = dir;
    const { exitCode } = await runCli(['drain-listeners', '--isolation', 'process', '--report-dir', dir, ...FAST]);
    expect(exitCode).toBe(0);
    const client = readJournal(dir).clients[0]!;
    const { page, errors } = await open(join(dir, 'report.html'));
    await expectSummaryFirst(page);
    const row = (await page.locator(`#failover-summary tr.summary-row[data-client="${client.name}"]`).textContent()) ?? '';
    expect(row).toContain('tianjin →');
    expect(row).toContain('beijing');
    expect(row).toContain('shenyang');
    expect(row).toContain(fmtTime(client.recoveryTimeMs));
    await page.screenshot({ path: join(dir, 'summary.png') });
    expect(errors).toEqual([]);
  });

  it('the run index lists both runs with their recovery times', async () => {
    const index = JSON.parse(readFileSync(join(parent, 'index.json'), 'utf8')) as { experiments: Record<string, { worstRecoveryTimeMs: number }[]> };
    expect(index.experiments['zone-outage']).toHaveLength(2);
    const { page, errors, requests } = await open(join(parent, 'index.html'));
    expect(await page.locator('section[data-experiment="zone-outage"] tr.run').count()).toBe(2);
    expect(await page.locator('section[data-experiment="zone-outage"] svg').count()).toBe(1);
    await page.screenshot({ path: join(parent, 'index.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
  });

  it('--compare puts runs of one experiment side by side (compare.html in Chromium); refuses one run or mixed experiments', async () => {
    const out = tempDir('compare');
    const r = await runCli(['--compare', dirs[0]!, dirs[1]!, '--out', out], 'report');
    expect(r.exitCode, r.output).toBe(0);
    const { page, errors, requests } = await open(join(out, 'compare.html'));
    expect(await page.locator('#compare tr:first-child th').count()).toBe(4);
    expect(await page.locator('#compare tr[data-client="client-a"]').count()).toBeGreaterThanOrEqual(7);
    const recovery = (await page.locator('#compare tr[data-client="client-a"]', { hasText: 'recovery' }).first().textContent()) ?? '';
    for (const dir of dirs) expect(recovery).toContain(fmtTime(readJournal(dir).clients.find((c) => c.name === 'client-a')!.recoveryTimeMs));
    expect(await page.textContent('#compare')).toContain('local Envoy 1.38.3 sidecars');
    await page.screenshot({ path: join(out, 'compare.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    expect(readFileSync(join(out, 'compare.md'), 'utf8')).toMatch(/^# zone-outage: 2 runs side by side/);

    const one = await runCli(['--compare', dirs[0]!], 'report');
    expect(one.exitCode).toBe(2);
    expect(one.output).toMatch(/at least two run folders/);
    const mixed = await runCli(['--compare', dirs[0]!, drainDir], 'report');
    expect(mixed.exitCode).toBe(2);
    expect(mixed.output).toMatch(/runs of one experiment side by side; these are of zone-outage, drain-listeners/);
  });

  it('the nightly glue (zx) merges matrix artifacts into one history and writes the job summary', async () => {
    const artifacts = tempDir('artifacts');
    cpSync(dirs[0]!, join(artifacts, 'report-kind-zone-outage', 'kind-zone-outage'), { recursive: true });
    cpSync(dirs[1]!, join(artifacts, 'report-kind-other', 'kind-zone-outage'), { recursive: true });
    const out = join(tempDir('merged'), 'reports');
    const summaryFile = join(tempDir('summary'), 'summary.md');
    writeFileSync(summaryFile, '');
    const r = await execa('npx', ['zx', 'scripts/nightly-merge.mjs', artifacts, out], { cwd: REPO, reject: false, all: true, env: { GITHUB_STEP_SUMMARY: summaryFile } });
    expect(r.exitCode, String(r.all)).toBe(0);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { experiments: Record<string, unknown[]> };
    expect(index.experiments['zone-outage']).toHaveLength(2);
    const summary = readFileSync(summaryFile, 'utf8');
    expect(summary).toMatch(/^# Nightly: 2 of 2 runs passed/);
    expect(summary.match(/## Failover summary/g)).toHaveLength(2);
    expect(summary).not.toContain('<details>');
    // Two runs of one experiment (the matrix's mesh axis): put side by side.
    expect(summary).toMatch(/## Side by side, per data plane\n\n- zone-outage: `compare-zone-outage\/compare\.html`/);
    expect(readFileSync(join(out, 'compare-zone-outage', 'compare.html'), 'utf8')).toContain('policy not in force');
  });

  it('npm run report regenerates every output from report.json and the records', async () => {
    const dir = dirs[1]!;
    const before = readFileSync(join(dir, 'report.html'), 'utf8');
    const { exitCode, output } = await runCli([dir], 'report');
    expect(exitCode).toBe(0);
    expect(output).toMatch(/regenerated .* from \d+ records/);
    // Same inputs, same charts (the series are recomputed from the raw records).
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toBe(before);
  });

  it('a records file cut, torn, edited or missing after the run: report and recompute.py exit 2 naming file and line, nothing regenerated', async () => {
    const src = dirs[1]!;
    const journal = JSON.parse(readFileSync(join(src, 'report.json'), 'utf8')) as { records: { files: string[]; digests: Record<string, { lines: number }> } };
    const file = journal.records.files.find((f) => f.endsWith('.ndjson') && journal.records.digests[f]!.lines > 2)!;
    expect(journal.records.digests[file]!.lines).toBeGreaterThan(2);
    const cases: [string, (text: string) => string | undefined, RegExp][] = [
      ['cut at a line', (t) => t.split('\n').slice(0, -2).join('\n') + '\n', /the file lost lines within lines \d+–\d+, its last block \(its tail was cut|the file lost lines within lines \d+-\d+, its last block \(its tail was cut/],
      // A line deleted from the middle is located there, never blamed on the tail.
      ['a middle line removed', (t) => t.split('\n').filter((_, i) => i !== 1).join('\n'), /first differs from what the run wrote within lines 1[–-]8 \(.*removed/],
      ['torn last line', (t) => t.slice(0, t.length - 20), /line \d+ is not a complete JSON record/],
      ['edited', (t) => t.replace(/"latencyMs":(\d)/, '"latencyMs":9$1'), /SHA-256 differs|edited/],
      ['missing', () => undefined, /missing/],
    ];
    for (const [name, change, message] of cases) {
      const dir = tempDir('tamper');
      cpSync(src, dir, { recursive: true });
      const path = join(dir, file);
      const changed = change(readFileSync(path, 'utf8'));
      if (changed === undefined) rmSync(path);
      else writeFileSync(path, changed);
      const html = readFileSync(join(dir, 'report.html'), 'utf8');
      const report = await runCli([dir], 'report');
      expect(report.exitCode, name).toBe(2);
      expect(report.output, name).toMatch(message);
      expect(report.output, name).toContain(file);
      expect(readFileSync(join(dir, 'report.html'), 'utf8'), name).toBe(html);
      const py = await execa('python3', ['scripts/recompute.py', dir], { cwd: REPO, reject: false });
      expect(py.exitCode, name).toBe(2);
      expect(py.stderr, name).toContain(file);
      expect(py.stderr, name).not.toContain('Traceback');
    }
  });

  it('a damaged report.json: report, --compare and recompute.py exit 2 naming the file and what is wrong', async () => {
    const src = dirs[1]!;
    const cases: [string, (text: string) => string, RegExp][] = [
      ['cut', (t) => t.slice(0, 5000), /report\.json: not valid JSON .*cut or edited/],
      ['clients not a list', (t) => t.replace('"clients": [', '"clients": {"x": [').replace(/\]\s*,\s*"assertions"/, ']}, "assertions"'), /report\.json: (clients|.*): /],
      ['a phase missing', (t) => t.replace('"baseline": {', '"baseline_": {'), /report\.json: clients\[0\]\.phases\.baseline: /],
    ];
    for (const [name, change, message] of cases) {
      const dir = tempDir('damaged');
      cpSync(src, dir, { recursive: true });
      writeFileSync(join(dir, 'report.json'), change(readFileSync(join(dir, 'report.json'), 'utf8')));
      for (const args of [[dir], ['--compare', dir, src]]) {
        const r = await runCli(args, 'report');
        expect(r.exitCode, `${name} ${args[0]}`).toBe(2);
        expect(r.output, name).toContain(join(dir, 'report.json'));
        expect(r.output, name).toMatch(message);
        expect(r.output, name).not.toMatch(/\n\s+at .*:\d+:\d+/);
      }
      const py = await execa('python3', ['scripts/recompute.py', dir], { cwd: REPO, reject: false });
      expect(py.exitCode, name).toBe(2);
      expect(py.stderr, name).toContain('report.json');
      expect(py.stderr, name).not.toContain('Traceback');
    }
  });
});

describe('#25: the page says what each injection did, readably for everyone', () => {
  // The synthetic two-injection run of the unit tests (real analysis), rendered as a run would render it.
  const dir = tempDir('two-injections');
  const j = twoInjectionJournal();
  writeFileSync(join(dir, 'report.html'), renderHtml(j));

  it('#failover-summary gives client × injection rows with that injection\'s own figures', async () => {
    const { page, errors } = await open(join(dir, 'report.html'));
    const rowB = (await page.locator('#failover-summary tr.summary-row[data-client="client-b"][data-injection="1"]').textContent()) ?? '';
    const own = j.faults[1]!.impact!['client-b']!;
    expect(rowB).toContain('injection(1): zone-outage zone=zone-b');
    expect(rowB).toContain(`${fmtTime(own.recoveryTimeMs)} (budget < 2s ✓)`);
    expect(rowB).not.toContain(fmtTime(j.clients.find((c) => c.name === 'client-b')!.recoveryTimeMs));
    expect(await page.locator('#failover-summary tr.summary-row[data-client="client-a"][data-injection="0"]').count()).toBe(1);
    // The timeline pins each injection's own figures.
    expect((await page.locator('.chart.timeline[data-client="client-b"]').textContent()) ?? '').toContain('#1 recovered');
    await page.screenshot({ path: join(dir, 'summary.png') });
    expect(errors).toEqual([]);
  });

  it('every ✓/✗ and verdict text has a contrast of at least 4.5:1 against what is behind it', async () => {
    const { page } = await open(join(dir, 'report.html'));
    const ratios = await page.evaluate(() => {
      const rgb = (s: string) => (s.match(/[\d.]+/g) ?? []).map(Number);
      const lum = ([r, g, b]: number[]) => {
        const c = [r!, g!, b!].map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
        return 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
      };
      const background = (el: Element | null): number[] => {
        for (let e = el; e; e = e.parentElement) {
          const c = rgb(getComputedStyle(e).backgroundColor);
          if (c.length === 3 || (c.length === 4 && c[3]! > 0)) return c.slice(0, 3);
        }
        return [255, 255, 255];
      };
      const marks = [...document.querySelectorAll('#failover-summary .mark, #assertions tr td:first-child, .verdict')].filter((e) => /✓|✗|[A-Z]{4,}/.test(e.textContent ?? ''));
      return marks.map((e) => {
        const [a, b] = [lum(rgb(getComputedStyle(e).color)), lum(background(e))];
        return { text: e.textContent, ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
      });
    });
    expect(ratios.length).toBeGreaterThan(5);
    for (const r of ratios) expect(r.ratio, `${r.text}`).toBeGreaterThanOrEqual(4.5);
  });

  it('every chart has a text alternative, and a locality keeps one colour across clients', async () => {
    const { page } = await open(join(dir, 'report.html'));
    const charts = await page.locator('.chart svg').evaluateAll((svgs) => svgs.map((s) => ({ role: s.getAttribute('role'), label: s.getAttribute('aria-label') ?? '', title: s.querySelector('title')?.textContent ?? '' })));
    expect(charts.length).toBe(j.clients.length * 2);
    for (const c of charts) {
      expect(c.role).toBe('img');
      expect(c.label.length).toBeGreaterThan(40);
      expect(c.title).toBe(c.label);
    }
    const used = await page.locator('.chart.timeline').evaluateAll((divs) => divs.map((d) => ({ colours: JSON.parse(d.getAttribute('data-colours') ?? '{}') as Record<string, string>, fills: [...d.querySelectorAll('[fill]')].map((e) => e.getAttribute('fill')!.toLowerCase()) })));
    const seen = new Map<string, string>();
    for (const { colours, fills } of used) {
      for (const [place, colour] of Object.entries(colours)) {
        expect(seen.get(place) ?? colour, place).toBe(colour);
        seen.set(place, colour);
        // The colour said is the colour drawn.
        expect(fills).toContain(colour.toLowerCase());
      }
    }
    // zone-c served client-a and client-b away from home: one colour for it in both charts.
    expect(used.filter((u) => u.colours['zone-c']).length).toBe(2);
  });
});
