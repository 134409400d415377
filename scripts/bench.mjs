#!/usr/bin/env node
// `npm run bench`: every benchmark, printing its figures, on embedded PGlite and (when the
// local server answers) on PostgreSQL. Figures are measured on this machine, in this run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { reachable, testDatabaseUrl } from './lib/postgres.mjs';

const url = testDatabaseUrl;
const only = process.argv[2];

function run(script, env, args = []) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: 'inherit',
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
  });
  return r.status ?? 1;
}

const databases = [{ TEST_DB: 'pglite' }];
if (await reachable(url)) databases.push({ TEST_DB: 'postgres', TEST_DATABASE_URL: url });
else console.log(`(PostgreSQL at ${new URL(url).host} does not answer: PostgreSQL figures skipped)`);

const allSuites = [
  ['server', 'packages/server/bench/run.ts'],
  ['e2e', 'packages/e2e/bench/run.ts'],
  ['web', 'packages/web/bench/run.ts'],
  ['decision', 'packages/decision/bench/run.ts'],
];
// `npm run bench -- <suite>` runs one suite; any other word names one of the server's
// benchmarks (e.g. `npm run bench -- queries`), passed on to its runner.
const isSuite = !only || allSuites.some(([name]) => name === only);
const suites = allSuites.filter(
  ([name, file]) => (isSuite ? !only || only === name : name === 'server') && existsSync(file),
);
const args = isSuite ? [] : [only];

// `npm run bench -- soak [--minutes N] [--db pglite|postgres] [...]`: the bounded soak, opt-in
// (10 minutes by default), on one database — PostgreSQL when it answers, else PGlite.
if (only === 'soak') {
  const args = process.argv.slice(3);
  const dbAt = args.indexOf('--db');
  const wanted = dbAt >= 0 ? args.splice(dbAt, 2)[1] : undefined;
  const env = databases.find((d) => d.TEST_DB === wanted) ?? databases.at(-1);
  process.exit(run('packages/server/bench/soak.ts', env, args));
}

let failed = false;
for (const [, file] of suites) {
  for (const env of databases) failed = run(file, env, args) !== 0 || failed;
}
process.exit(failed ? 1 : 0);
