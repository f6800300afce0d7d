import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure and fast (npm test); `integration` starts real
// processes, HAProxy and network namespaces (npm run test:integration, run by CI).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/helpers/temp-cleanup.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // Real runs compete for 2 cores and share the host's network state.
          fileParallelism: false,
          // Only tests marked concurrent (the bad-input catalogue: CLI starts that touch nothing) overlap.
          maxConcurrency: 6,
        },
      },
      {
        // The kind provider's docker-level faults against a real (test-started) Docker engine.
        test: { name: 'docker', include: ['test/docker/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 240_000, fileParallelism: false },
      },
      {
        // The kind path live: Kubernetes and every image built here from packages, clusters on a test-started
        // dockerd (test/kind-live/global-setup.ts). Never beside the netns suites: a running dockerd sets FORWARD to DROP.
        test: {
          name: 'kind-live',
          include: ['test/kind-live/**/*.test.ts'],
          globalSetup: ['test/kind-live/global-setup.ts'],
          setupFiles: ['test/helpers/temp-cleanup.ts'],
          testTimeout: 900_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
      {
        // SIGKILLs the harness at random moments, then checks cleanup leaves nothing.
        test: { name: 'chaos', include: ['test/chaos/**/*.test.ts'], setupFiles: ['test/helpers/temp-cleanup.ts'], testTimeout: 900_000, fileParallelism: false },
      },
    ],
  },
});
