import type { Migration, MigrationProvider } from 'kysely';
import * as m001 from './001_initial.ts';
import * as m002 from './002_ondemand_defaults.ts';
import * as m003 from './003_switching.ts';
import * as m004 from './004_emergency.ts';
import * as m005 from './005_decisions.ts';
import * as m006 from './006_model_registry.ts';
import * as m007 from './007_pricing_pipeline.ts';
import * as m009 from './009_query_indexes.ts';
import * as m010 from './010_savings_rollup.ts';
import * as m011 from './011_savings_unknown_totals.ts';
import * as m012 from './012_savings_agent_hours.ts';
import * as m013 from './013_agents_hot_heartbeats.ts';
import * as m014 from './014_live_instances_per_agent.ts';
import * as m015 from './015_savings_hours_stored_seq.ts';

/** Versioned migrations in order. Names sort lexically; never rename or edit a landed one. */
export const migrations: Record<string, Migration> = {
  '001_initial': m001,
  '002_ondemand_defaults': m002,
  '003_switching': m003,
  '004_emergency': m004,
  '005_decisions': m005,
  '006_model_registry': m006,
  '007_pricing_pipeline': m007,
  '009_query_indexes': m009,
  '010_savings_rollup': m010,
  '011_savings_unknown_totals': m011,
  '012_savings_agent_hours': m012,
  '013_agents_hot_heartbeats': m013,
  '014_live_instances_per_agent': m014,
  '015_savings_hours_stored_seq': m015,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
