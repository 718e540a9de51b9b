import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Starting and stopping real test hosts; a stop may take minutes when several suites share the 2 cores.
    hookTimeout: 240_000,
    // Integration suites start real sshd hosts on fixed loopback addresses; run files one at a time.
    fileParallelism: false,
    pool: 'forks',
  },
});
