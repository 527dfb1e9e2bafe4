import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'tests/**/*.test.ts',
      '{ledger-service,http-facade,proto,common,stack,scripts}/**/*.test.ts',
    ],
    globalSetup: ['tests/support/global-setup.ts'],
    // Tests start real servers and databases; the machine has 2 cores.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: true,
    maxWorkers: 2,
  },
});
