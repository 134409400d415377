import { parseArgs } from 'node:util';
import { createServer } from './app/create-server.ts';
import { ConfigError, loadConfig } from './config.ts';
import { openDatabase } from './db/database.ts';
import { runMigrations } from './db/migrate.ts';

const USAGE = `spot-optimizer <command>

Commands:
  serve     start the control plane (HTTP API, events, jobs)
  migrate   apply pending database migrations and exit
  replay    judge decision policies on recorded spot prices, offline (replay --help)

Configuration comes from the environment: PORT, HOST, DATABASE_URL (unset: embedded PGlite
in SPOT_DATA_DIR, default ./data), ADMIN_TOKEN, LOG_LEVEL, ... (see README).`;

async function main(): Promise<number> {
  // `replay` has its own flags and needs no server configuration or database.
  if (process.argv[2] === 'replay') {
    const { runReplayCli } = await import('@spot/decision/cli');
    return runReplayCli(process.argv.slice(3));
  }
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  if (command === 'migrate') {
    const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.SPOT_DATA_DIR });
    const applied = await runMigrations(db);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    await db.close();
    return 0;
  }
  if (command !== 'serve') {
    console.error(`unknown command: ${command}\n\n${USAGE}`);
    return 2;
  }
  const server = await createServer(config);
  const address = await server.listen();
  if (server.generatedAdminToken) {
    // Shown once, on stderr only; only its hash is stored.
    console.error(`\nAdmin token (shown once, store it now): ${server.generatedAdminToken}\n`);
  }
  server.app.log.info({ address, database: server.db.kind }, 'spot-optimizer listening');
  const stop = async (signal: string) => {
    server.app.log.info({ signal }, 'shutting down');
    await server.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
