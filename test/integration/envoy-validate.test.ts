import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { parseExperiment } from '../../harness/core/experiment.js';
import { realExecutor } from '../../harness/exec/index.js';
import { EXPERIMENTS_DIR } from '../../harness/cli/load-experiment.js';
import { ECHO_HOST, ECHO_PORT, renderOutboundSidecar } from '../../harness/mesh/istio/envoy-bootstrap.js';
import { outboundClusterName } from '../../harness/mesh/istio/envoy-cluster.js';
import { renderEds } from '../../harness/mesh/istio/envoy-endpoints.js';
import { findEnvoy } from '../../harness/providers/local/envoy-install.js';
import { planProcess } from '../../harness/providers/local/address-plan.js';
import { tempDir } from '../helpers/cli.js';

// Every shipped experiment's sidecar configuration, as the local provider
// renders it for each client, accepted by the real Envoy (`--mode validate`).

const envoy = await findEnvoy(realExecutor);
const names = readdirSync(EXPERIMENTS_DIR).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));

describe.runIf(envoy !== undefined || process.env.CI === 'true')('envoy --mode validate', () => {
  it.each(names)('%s: every sidecar bootstrap is valid', async (name) => {
    const ex = parseExperiment((await import(join(EXPERIMENTS_DIR, `${name}.ts`))).default, name);
    let port = 20000;
    const plan = planProcess(ex.topology, () => port++);
    const endpoints = plan.instances.map((i) => ({ instance: i.instance, locality: i.locality, host: i.host, port: i.port }));
    const dir = tempDir(`validate-${name}`);
    for (const c of plan.clients) {
      const eds = join(dir, c.client, 'eds');
      mkdirSync(eds, { recursive: true });
      writeFileSync(join(eds, 'echo.yaml'), stringify(renderEds({ cluster: outboundClusterName(ECHO_HOST, ECHO_PORT), client: c.locality, endpoints, policy: ex.policy, version: 1 })));
      const file = join(dir, c.client, 'envoy.yaml');
      writeFileSync(file, stringify(renderOutboundSidecar({ client: c.client, clientLocality: c.locality, endpoints, policy: ex.policy, listen: c.listen, admin: c.admin, edsPath: join(eds, 'echo.yaml'), edsDir: eds })));
      const r = await execa(envoy!, ['--mode', 'validate', '-c', file, '-l', 'error', '--disable-hot-restart'], { reject: false, all: true });
      expect(r.all, `${name} ${c.client}`).toMatch(/configuration '.*' OK/);
      expect(r.exitCode).toBe(0);
    }
  });
});
