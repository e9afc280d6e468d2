import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two projects so that unit tests never wait for a database: only integration and end-to-end tests get the
// global setup that finds (or starts) PostgreSQL and builds the migrated template.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The database and end-to-end files mostly wait on processes, HTTP and PostgreSQL: two at once even on two
    // cores (measured on 2 CPUs: the whole suite 413 s instead of 565 s with Vitest's default of one).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // The local console in Chromium: the bot brings its own embedded database, so no global setup.
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'db',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/helpers/globalSetup.ts'],
        },
      },
    ],
  },
});
