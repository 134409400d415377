import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'e2e',
    include: ['test/**/*.test.ts'],
    // Real processes (server, simulator, agents) start and talk over real sockets: be patient.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
