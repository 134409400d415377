#!/usr/bin/env node
// `npm test`: the whole suite on embedded PGlite, then the database-backed projects again
// on PostgreSQL (TEST_DATABASE_URL, or the local server on 127.0.0.1:5432 when it answers).
// REQUIRE_POSTGRES=1 (set by CI) turns "no PostgreSQL" into a failure instead of a skip.
import { spawnSync } from 'node:child_process';
import { reachable, testDatabaseUrl } from './lib/postgres.mjs';

const DB_PROJECTS = ['server', 'e2e'];
const extra = process.argv.slice(2);

function vitest(args, env) {
  const r = spawnSync('npx', ['vitest', 'run', ...args, ...extra], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  return r.status ?? 1;
}

console.log('\n=== test suite on embedded PGlite ===\n');
let failed = vitest([], { TEST_DB: 'pglite' }) !== 0;

const url = testDatabaseUrl;
if (await reachable(url)) {
  console.log(`\n=== database-backed projects on PostgreSQL (${new URL(url).host}) ===\n`);
  const projects = DB_PROJECTS.flatMap((p) => ['--project', p]);
  // The demo (`npm start`) always runs on embedded PGlite: its test gains nothing from a second pass.
  projects.push('--exclude', '**/test/demo/**');
  failed =
    vitest([...projects, '--passWithNoTests'], { TEST_DB: 'postgres', TEST_DATABASE_URL: url }) !== 0 ||
    failed;
} else if (process.env.REQUIRE_POSTGRES === '1') {
  console.error(`\nPostgreSQL at ${new URL(url).host} does not answer, and REQUIRE_POSTGRES=1`);
  failed = true;
} else {
  console.log(`\n(PostgreSQL at ${new URL(url).host} does not answer: PostgreSQL pass skipped)\n`);
}
process.exit(failed ? 1 : 0);
