// The database floor for heartbeats: the server's very batched UPDATE (group commit, same
// in-flight cap), pushed by a bare script at an open-loop rate — no HTTP, no auth, no
// framework. On PostgreSQL it runs against the bench database's own agents; on PGlite (one
// process per database) against an identical in-memory database of the same fleet size.

import { openDatabase } from '../src/db/database.ts';
import { runMigrations } from '../src/db/migrate.ts';
import { HeartbeatBatcher } from '../src/services/heartbeat-batcher.ts';
import { createFleet } from './fleet.ts';
import { openLoop } from './open-loop.ts';

const [databaseUrl, fleetArg] = process.argv.slice(2);
const db = await openDatabase({ databaseUrl: databaseUrl || undefined, poolSize: 16 });
let ids: string[];
if (databaseUrl) {
  const rows = await db.kysely.selectFrom('agents').select('id').where('status', '=', 'online').execute();
  ids = rows.map((r) => r.id);
} else {
  await runMigrations(db);
  ids = (await createFleet(db, Number(fleetArg))).agents.map((a) => a.id);
}
const batcher = new HeartbeatBatcher(db);
let next = 0;
process.on('message', async (m: { rate?: number; seconds?: number; exit?: boolean }) => {
  if (m.exit) {
    await db.close();
    process.exit(0);
  }
  const cpu0 = process.cpuUsage();
  const result = await openLoop(m.rate!, m.seconds!, () =>
    batcher.record(ids[next++ % ids.length]!, {
      at: new Date(),
      cloud_instance_id: null,
      instance_type: null,
      availability_zone: null,
    }),
  );
  process.send?.({ ...result, cpu: process.cpuUsage(cpu0) });
});
process.send?.({ ready: true });
