import { defineConfig } from 'vitest/config';

// One project per package; `npm test` (scripts/test.mjs) picks which run on which database.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts'],
  },
});
