export { createServer, type SpotServer } from './app/create-server.ts';
export { type Config, loadConfig } from './config.ts';
export { openDatabase } from './db/database.ts';
export { runMigrations } from './db/migrate.ts';
