import { which } from '../../harness/exec/index.js';
import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLEAN, machineState } from '../helpers/machine.js';
import { FAST, readJournal, REPO, runCli, tempDir } from '../helpers/cli.js';

afterEach(async () => {
  expect(await machineState()).toEqual(CLEAN);
});

describe('exit codes and messages', () => {
  it('exits 1 and names an impossible assertion, with a failed report', async () => {
    const dir = tempDir('imp');
    const { exitCode, output } = await runCli(['drain-listeners', '--isolation', 'process', '--report-dir', dir, ...FAST, '--assert', 'client(tianjin-client).recovery.timeMs < 0']);
    expect(exitCode).toBe(1);
    expect(output).toMatch(/✗ client\(tianjin-client\)\.recovery\.timeMs < 0/);
    const j = readJournal(dir);
    expect(j.status).toBe('failed');
    // --assert replaced the experiment's own recovery assertion for that client.
    expect(j.assertions.filter((a) => a.metric === 'recovery.timeMs')).toHaveLength(1);
    expect(existsSync(join(dir, 'junit.xml'))).toBe(true);
    // #25: the change is recorded with what it replaced, and every output says so.
    // FAST's phase lengths are command-line changes too, each recorded with what it replaced.
    const asserted = j.settings.overrides!.find((o) => o.option === '--assert')!;
    const replaced = asserted.replaces!;
    expect(asserted).toEqual({ option: '--assert', value: 'client(tianjin-client).recovery.timeMs < 0', replaces: expect.stringMatching(/^client\(tianjin-client\)\.recovery\.timeMs < /) });
    expect(j.settings.overrides!.map((o) => o.option)).toContain('--baseline');
    expect(j.assertions.find((a) => a.metric === 'recovery.timeMs')!.override).toEqual({ replaces: replaced });
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('modified on the command line: ');
    expect(html).toContain(`--assert client(tianjin-client).recovery.timeMs &lt; 0 (replaces ${replaced.replaceAll('<', '&lt;')})`);
    expect(html).toMatch(/class="assertion fail override"/);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('**Invocation: modified on the command line: ');
    expect(md).toContain(`--assert client(tianjin-client).recovery.timeMs < 0 (replaces ${replaced})`);
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toContain(`<property name="override" value="--assert client(tianjin-client).recovery.timeMs &lt; 0 (replaces ${replaced.replaceAll('<', '&lt;')})"/>`);
    expect(junit).toContain('<property name="source" value="--assert"/>');
    expect(output).toMatch(/modified on the command line: .*--assert client\(tianjin-client\)\.recovery\.timeMs < 0/);
    // The history keeps it apart from the experiment's own runs.
    const { summarize } = await import('../../harness/report/history.js');
    expect(summarize(dir, j).mode).toMatch(/· overridden$/);
  });

  it('exits 2 with the field path for a malformed YAML experiment', async () => {
    const dir = tempDir('yaml');
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      ['name: bad', 'description: bad', 'topology:', '  clusters:', '    - name: c1', '      regions:', '        - name: r1', '          zones:', '            - name: z1', '              nodes:', '                - {name: n1, instances: two, client: true}', 'faults:', '  - {kind: zone-outage, zone: z1}'].join('\n'),
    );
    const { exitCode, output } = await runCli([file]);
    expect(exitCode).toBe(2);
    expect(output).toContain(`${file}: topology.clusters[0].regions[0].zones[0].nodes[0].instances:`);
    expect(output).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits 2 with the line for YAML that does not parse', async () => {
    const file = join(tempDir('yaml2'), 'broken.yaml');
    writeFileSync(file, 'name: x\n  description: [oops\n');
    const { exitCode, output } = await runCli([file]);
    expect(exitCode).toBe(2);
    expect(output).toMatch(/broken\.yaml:\d+:\d+: not valid YAML/);
  });

  it.each([
    [['zone-outag'], /unknown experiment "zone-outag" \(did you mean "zone-outage"\?\)/],
    [['zone-outage', '--rate', '0'], /expected --rate to be a number of requests per second/],
    [['zone-outage', '--duration', '-5s'], /expected --duration to be a duration/],
    [['zone-outage', '--mode', 'melt'], /expected --mode to be one of kill, freeze, isolate/],
    [['zone-outage', '--assert', 'recovery.timeMs < 5x'], /--assert "recovery.timeMs < 5x": unknown unit "x"/],
    [['zone-outage', '--provider', 'kin'], /unknown provider "kin" \(did you mean "kind"\?\)/],
    [['zone-outage', '--isolation', 'process', '--mode', 'isolate'], /needs --isolation netns/],
    [['zone-outage', '--bogus'], /unknown option '--bogus'/],
    [['zone-outage', '--mesh', 'linkerd'], /--mesh linkerd applies to --provider kind/],
    [['zone-outage', '--provider', 'kind', '--mesh', 'consul'], /argument 'consul' is invalid. Allowed choices are istio, linkerd, none/],
    [['zone-outage', '--provider', 'kind', '--linkerd-version', 'edge-25.4.4'], /--linkerd-version applies to --mesh linkerd, and this run's mesh is istio/],
    [['cluster-failover', '--provider', 'kind', '--mesh', 'none', '--linkerd-multicluster', 'federated'], /--linkerd-multicluster applies to --mesh linkerd/],
  ])('exits 2 for %j', async (args, message) => {
    const { exitCode, output } = await runCli(args);
    expect(output).toMatch(message);
    expect(exitCode).toBe(2);
  });

  it('exits 2 when the report dir is a file', async () => {
    const file = join(tempDir('rd'), 'a-file');
    writeFileSync(file, '');
    const { exitCode, output } = await runCli(['drain-listeners', '--isolation', 'process', '--report-dir', file]);
    expect(exitCode).toBe(2);
    expect(output).toMatch(/exists and is not a directory/);
  });

  it('--provider kind without its prerequisites exits 3 naming each missing piece and how to get it', async () => {
    const { exitCode, output } = await runCli(['zone-outage', '--provider', 'kind']);
    expect(exitCode).toBe(3);
    expect(output).toMatch(/--provider kind is missing: .*(kind|a running Docker engine)/);
    expect(output).toMatch(/or see the whole plan without any of them: --dry-run/);
  });

  it.runIf(!which('linkerd'))('--mesh linkerd without the linkerd CLI exits 3 saying how to install it, after saying what Linkerd cannot honour', async () => {
    const { exitCode, output } = await runCli(['zone-outage', '--provider', 'kind', '--mesh', 'linkerd']);
    expect(exitCode).toBe(3);
    expect(output).toMatch(/--mesh linkerd: not in force: region and subzone preference/);
    expect(output).toMatch(/--mesh linkerd: not expected: client\(client-a\)\.recovery\.timeMs \(zone hints/);
    expect(output).toMatch(/--provider kind is missing: .*linkerd/);
    expect(output).toMatch(/linkerd: curl --proto =https -sSfL https:\/\/run\.linkerd\.io\/install-edge \| LINKERD2_VERSION=edge-25\.4\.4 sh/);
    // Istio is not needed with Linkerd.
    expect(output).not.toMatch(/istioctl:/);
  });

  it.runIf(!which('k6'))('--driver k6 without k6 exits 3 before touching the machine, saying how to get k6', async () => {
    const dir = tempDir('k6');
    const { exitCode, output } = await runCli(['zone-outage', '--driver', 'k6', '--report-dir', dir]);
    expect(exitCode).toBe(3);
    expect(output).toMatch(/--driver k6 needs k6 on PATH/);
    expect(output).toMatch(/grafana\.com\/docs\/k6/);
  });

  it('--provider kind --dry-run prints the whole plan with no Docker', async () => {
    const { exitCode, output } = await runCli(['region-failover', '--provider', 'kind', '--dry-run']);
    expect(exitCode).toBe(0);
    expect(output).toContain('$ kind create cluster --name fh-c1');
    expect(output).toMatch(/failover:\n\s+- from: cn-north-4\n\s+to: cn-south-1/);
    expect(output).toContain('$ docker stop --time 0 fh-c1-worker');
  });

  it('lists experiments and documents options', async () => {
    const list = await runCli(['--list']);
    expect(list.exitCode).toBe(0);
    expect(list.output).toMatch(/^zone-outage\s+All service instances/m);
    const help = await runCli(['--help']);
    expect(help.exitCode).toBe(0);
    for (const option of ['--provider', '--isolation', '--mode', '--report-dir', '--rate', '--duration', '--assert', 'Exit codes']) expect(help.output).toContain(option);
  });
});

describe('--dry-run on the local provider', () => {
  it('prints namespaces, addresses, every process, the sidecar configs and the faults, and touches nothing', async () => {
    const { exitCode, output } = await runCli(['zone-outage', '--dry-run']);
    expect(exitCode).toBe(0);
    expect(output).toContain('local plan');
    expect(output).toMatch(/- svc-a \(eu-west-1\/zone-a\): (namespace fh-RUNID-svc-a|127\.0\.0\.1)/);
    expect(output).toMatch(/instance svc-a-1: .*echo-server\.ts --identity/);
    expect(output).toMatch(/sidecar of client-a: .*-c '?<report-dir>\/sidecars\/client-a\/envoy\.yaml'? --disable-hot-restart/);
    expect(output).toMatch(/traffic of client-a \(20 req\/s/);
    expect(output).toContain('outlier_detection:');
    expect(output).toContain('## Modelled control plane (EDS changes)');
    expect(output).toMatch(/\+0\.0 s into the fault phase: zone-outage/);
    expect(output).not.toContain('report:');
  });
});

describe('npm run cleanup', () => {
  /** A dead run's ledger (pid 1 is never the harness) with one file to remove and a report folder holding a driver bundle. */
  function deadRun() {
    const state = tempDir('state');
    const reportDir = tempDir('crashed');
    mkdirSync(join(reportDir, 'logs'));
    writeFileSync(join(reportDir, 'logs', 'driver.mjs'), '// bundle');
    const leftover = join(tempDir('left'), 'leftover');
    writeFileSync(leftover, '');
    const ledger = [
      { op: 'run', runId: 'dead01', pid: 999_999, startTicks: 1, experiment: 'zone-outage', at: Date.now(), reportDir },
      { op: 'acquire', id: 1, resource: { kind: 'file', path: leftover }, at: Date.now() },
    ];
    writeFileSync(join(state, 'dead01.jsonl'), `${ledger.map((e) => JSON.stringify(e)).join('\n')}\n`);
    return { env: { FAILOVER_HARNESS_STATE_DIR: state }, reportDir, leftover };
  }
  const cleanup = (args: string[], env: Record<string, string>) => execa(process.execPath, ['--import', 'tsx', 'harness/cli/cleanup.ts', ...args], { cwd: REPO, reject: false, all: true, env });

  it('--help prints the usage and cleans nothing; an unknown option exits 2 and cleans nothing', async () => {
    const run = deadRun();
    const help = await cleanup(['--help'], run.env);
    expect(help.exitCode).toBe(0);
    expect(String(help.all)).toMatch(/Usage: cleanup/);
    const bad = await cleanup(['--forse'], run.env);
    expect(bad.exitCode).toBe(2);
    expect(String(bad.all)).toMatch(/unknown option '--forse'/);
    expect(existsSync(run.leftover)).toBe(true);
    expect(existsSync(join(run.reportDir, 'report.json'))).toBe(false);
  });

  it('undoes what a crashed run left and marks its report folder crashed, removing what teardown would have', async () => {
    const run = deadRun();
    const r = await cleanup([], run.env);
    expect(r.exitCode).toBe(0);
    expect(existsSync(run.leftover)).toBe(false);
    expect(String(r.all)).toContain(`marked ${run.reportDir} crashed`);
    const j = JSON.parse(readFileSync(join(run.reportDir, 'report.json'), 'utf8')) as { status: string; undone: { kind: string }[]; runId: string };
    expect(j.status).toBe('crashed');
    expect(j.runId).toBe('dead01');
    expect(j.undone.map((u) => u.kind)).toEqual(['file']);
    expect(existsSync(join(run.reportDir, 'logs', 'driver.mjs'))).toBe(false);
    // A crashed report is named as such by npm run report, not half-rendered.
    const report = await runCli([run.reportDir], 'report');
    expect(report.exitCode).toBe(2);
    expect(report.output).toMatch(/the run crashed \(status crashed/);
  });
});
