// One Jest project per level: unit tests need no servers; integration tests
// run against the real local servers that scripts/test-env starts.
const transform = { '^.+\\.(t|j|mj)s$': '<rootDir>/scripts/jest-esbuild-transform.cjs' };
// @middy/* ships ESM only: transform it to CommonJS as well.
const transformIgnorePatterns = ['/node_modules/(?!(@middy)/)'];
const common = { testEnvironment: 'node', transform, transformIgnorePatterns, moduleFileExtensions: ['ts', 'js', 'mjs', 'json'] };

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/tests/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/tests/integration/**/*.test.ts'],
      setupFiles: ['<rootDir>/tests/helpers/require-local-env.ts'],
      slowTestThreshold: 30,
    },
    {
      // The fault suite's harness and its short run (fixed seeds) against the local servers.
      ...common,
      displayName: 'faults',
      testMatch: ['<rootDir>/tests/faults/**/*.test.ts'],
      setupFiles: ['<rootDir>/tests/helpers/require-local-env.ts'],
      slowTestThreshold: 60,
    },
  ],
  reporters: ['default', ['jest-junit', { outputDirectory: 'reports', outputName: 'tests.xml', addFileAttribute: 'true' }]],
  testTimeout: 120000,
};
