import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { printKindPlan, REPO_ROOT } from '../../harness/cli/kind-run.js';
import { systemClock } from '../../harness/core/clock.js';
import { parseExperiment } from '../../harness/core/experiment.js';
import type { Mesh } from '../../harness/mesh/choice.js';
import type { LinkerdMulticlusterMode } from '../../harness/mesh/linkerd.js';
import clusterFailover from '../../experiments/cluster-failover.js';
import drainListeners from '../../experiments/drain-listeners.js';
import zoneOutage from '../../experiments/zone-outage.js';

// Golden plans: the whole --dry-run of each experiment on each data plane
// the issue names, byte for byte after the run-specific parts (temporary
// folders, epoch times, the checkout's path, the home folder) are replaced
// by placeholders. A change to any command or manifest shows here as a diff;
// when it is meant, regenerate with UPDATE_GOLDEN=1 npx vitest run test/unit/plan-golden.test.ts
// and read the diff before committing it.

const GOLDEN = fileURLToPath(new URL('../golden/', import.meta.url));

function normalise(plan: string): string {
  return plan
    .replaceAll(REPO_ROOT.replace(/\/$/, ''), '<repo>')
    .replaceAll(homedir(), '<home>')
    .replace(/\/tmp\/fh-([a-z-]+)-[A-Za-z0-9]{6}/g, '<tmp>/fh-$1')
    .replace(/\b1\d{12}(\.\d+)?\b/g, '<epoch>');
}

const CASES: [string, unknown, Mesh, LinkerdMulticlusterMode?][] = [
  ['zone-outage', zoneOutage, 'linkerd'],
  ['zone-outage', zoneOutage, 'none'],
  ['drain-listeners', drainListeners, 'linkerd'],
  ['drain-listeners', drainListeners, 'none'],
  ['cluster-failover', clusterFailover, 'linkerd'],
  ['cluster-failover', clusterFailover, 'linkerd', 'failover-extension'],
  ['cluster-failover', clusterFailover, 'none'],
];

describe('golden --dry-run plans', () => {
  it.each(CASES.map(([name, raw, mesh, linkerdMode]) => ({ title: `${name} with --mesh ${mesh}${linkerdMode ? ` --linkerd-multicluster ${linkerdMode}` : ''}`, name, raw, mesh, linkerdMode })))('$title', async ({ name, raw, mesh, linkerdMode }) => {
    const lines: string[] = [];
    await printKindPlan({
      experiment: parseExperiment(raw, name),
      clock: systemClock,
      keep: false,
      istioVersion: '1.30',
      linkerdVersion: 'edge-25.4.4',
      ...(linkerdMode ? { linkerdMode } : {}),
      image: 'failover-harness/echo:dev',
      mesh,
      print: (s) => lines.push(s),
    });
    const plan = `${normalise(lines.join('\n'))}\n`;
    const file = join(GOLDEN, `${name}.${mesh}${linkerdMode ? `.${linkerdMode}` : ''}.plan.txt`);
    if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, plan);
    expect(plan).toBe(readFileSync(file, 'utf8'));
  });
});
