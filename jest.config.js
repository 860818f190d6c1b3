/**
 * Two projects: `unit` (constructs and pure service logic: no sockets, processes, Redis, nginx or browser;
 * `npm run test:unit`) and `integration` (everything that runs real components). `npm test` runs both.
 * @type {import('jest').Config}
 */
const common = {
  testEnvironment: 'node',
  // Type-checking is done once by `npm run typecheck`: the transform only removes the types (esbuild).
  transform: { '^.+\\.ts$': '<rootDir>/scripts/jest-transform.cjs' },
  // cdktf's token creation stacks, formatted when read (see the file).
  setupFiles: ['<rootDir>/__tests__/stack-traces.ts'],
};
const UNIT = ['<rootDir>/__tests__/constructs/**/*.test.ts', '<rootDir>/__tests__/**/unit/**/*.test.ts'];

module.exports = {
  projects: [
    // cdktf's matchers, for the construct tests, load cdktf: 0.2-0.4 s per file, so only in the unit project.
    { ...common, displayName: 'unit', testMatch: UNIT, setupFilesAfterEnv: ['<rootDir>/__tests__/setup.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/__tests__/constructs/', '/unit/'],
    },
  ],
  testTimeout: 30_000,
  // Three workers on two cores: many files mostly wait (idle timeouts, drains, token expiry, Terraform's
  // provider), and a third worker fills those waits. Measured side by side on 2 cores: 120 s with 2 workers,
  // 98 s with 3, 99 s with 4 (the same 159 s of CPU).
  maxWorkers: 3,
  // A worker's heap grows by 20-40 MB of uncollected garbage per test file (V8 collects lazily with this much
  // RAM) to over 1 GB by the end, and tearing down such a process takes more than the 500 ms jest waits after
  // the last file: "A worker process has failed to exit gracefully" with no handle left open. Recycling a
  // worker whose heap passed 512 MB keeps the exit short.
  workerIdleMemoryLimit: '512MB',
};
