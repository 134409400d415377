import type { ColumnType, Generated } from 'kysely';

/** Kysely's view of the tables created by the migrations (see migrations/). */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<unknown, string, string>;
type ReadOnly<T> = ColumnType<T, never, never>;

export interface ServerSettingsTable {
  key: string;
  value: string;
  updated_at: DefaultTimestamp;
}

export interface ClientsTable {
  id: string;
  name: string;
  token_hash: string;
  eventbridge_secret_hash: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: DefaultTimestamp;
}

export interface AgentsTable {
  id: string;
  client_id: string;
  logical_id: string;
  status: ColumnType<'online' | 'offline', 'online' | 'offline' | undefined, 'online' | 'offline'>;
  last_heartbeat_at: Timestamp | null;
  instance_type: string | null;
  availability_zone: string | null;
  region: string | null;
  cloud_instance_id: string | null;
  agent_version: string | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface AgentTokensTable {
  token_hash: string;
  agent_id: string;
  /** The instance the token's process runs on (null: not known, e.g. a host we never adopted). */
  instance_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: DefaultTimestamp;
}

export interface AgentConfigsTable {
  agent_id: string;
  mode: ColumnType<string, string | undefined, string>;
  candidate_pools: ColumnType<unknown, string | undefined, string>;
  min_savings_percent: ColumnType<number, number | undefined, number>;
  on_rebalance: ColumnType<string, string | undefined, string>;
  on_demand_fallback: ColumnType<boolean, boolean | undefined, boolean>;
  elastic_ip_allocation_id: string | null;
  version: ColumnType<number, number | undefined, number>;
  updated_at: DefaultTimestamp;
}

export interface JoinTokensTable {
  token_hash: string;
  client_id: string;
  agent_id: string;
  instance_id: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface SwitchesTable {
  id: string;
  client_id: string;
  agent_id: string;
  trigger: string;
  status: string;
  phase: string;
  reason: string | null;
  from_instance_id: string | null;
  to_instance_id: string | null;
  target_launched_by_switch: boolean;
  from_instance_type: string | null;
  from_availability_zone: string | null;
  from_market: string | null;
  to_instance_type: string;
  to_availability_zone: string | null;
  to_market: string;
  from_price: number | null;
  to_price: number | null;
  launch_command_id: string | null;
  promote_command_id: string | null;
  requested_at: Timestamp;
  promoting_at: Timestamp | null;
  completed_at: Timestamp | null;
  cutover_started_at: Timestamp | null;
  cutover_completed_at: Timestamp | null;
  downtime_seconds: number | null;
  error_code: string | null;
  error_message: string | null;
  interruption_id: ColumnType<string | null, string | null | undefined, string | null>;
  version: ColumnType<number, number | undefined, number>;
}

export interface InstancesTable {
  id: string;
  client_id: string;
  agent_id: string;
  status: string;
  role: string;
  market: string;
  cloud_instance_id: string | null;
  instance_type: string;
  availability_zone: string | null;
  region: string | null;
  launch_requested_at: Timestamp | null;
  launch_confirmed_at: Timestamp | null;
  termination_requested_at: Timestamp | null;
  termination_confirmed_at: Timestamp | null;
  launch_duration_seconds: ReadOnly<number | null>;
  termination_duration_seconds: ReadOnly<number | null>;
  termination_reason: string | null;
  error_code: string | null;
  error_message: string | null;
  status_changed_at: DefaultTimestamp;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
  version: ColumnType<number, number | undefined, number>;
}

export interface LifecycleEventsTable {
  id: Generated<number>;
  instance_id: string;
  client_id: string;
  event_type: string;
  from_status: string | null;
  to_status: string | null;
  source: string;
  reason: string | null;
  confirmation_method: string | null;
  cloud_instance_id: string | null;
  metadata: Json | null;
  created_at: DefaultTimestamp;
}

export interface CommandsTable {
  id: string;
  client_id: string;
  agent_id: string;
  instance_id: string | null;
  command_type: string;
  priority: number;
  status: ColumnType<string, string | undefined, string>;
  request_id: string;
  executor_instance_id: ColumnType<string | null, string | null | undefined, string | null>;
  metadata: Json;
  result: Json | null;
  message: string | null;
  delivery_count: ColumnType<number, number | undefined, number>;
  created_at: DefaultTimestamp;
  delivered_at: Timestamp | null;
  completed_at: Timestamp | null;
  expires_at: Timestamp;
}

export interface EventsTable {
  seq: Generated<number>;
  client_id: string;
  type: string;
  data: Json;
  created_at: DefaultTimestamp;
}

export interface IdempotencyKeysTable {
  principal: string;
  key: string;
  method: string;
  path: string;
  request_hash: string;
  state: 'in_progress' | 'done';
  status_code: number | null;
  response: Json | null;
  created_at: DefaultTimestamp;
}

export interface AuditLogTable {
  id: Generated<number>;
  actor: string;
  action: string;
  entity_type: string;
  entity_id: string;
  before: Json | null;
  after: Json | null;
  created_at: DefaultTimestamp;
}

export interface SessionsTable {
  token_hash: string;
  role: 'admin' | 'client';
  client_id: string | null;
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
}

export interface InterruptionsTable {
  id: string;
  client_id: string;
  agent_id: string;
  instance_id: string | null;
  cloud_instance_id: string;
  kind: 'termination_notice' | 'rebalance_recommendation';
  action: string | null;
  notice_time: Timestamp | null;
  deadline: Timestamp | null;
  detected_at: Timestamp;
  received_at: DefaultTimestamp;
  response: string | null;
  outcome: string | null;
  sources: ColumnType<unknown, string | undefined, string>;
  switch_id: string | null;
  replica_instance_id: string | null;
  response_detail: ColumnType<string | null, string | null | undefined, string | null>;
  responded_at: Timestamp | null;
  resolved_at: Timestamp | null;
  serving_after_seconds: number | null;
}

export interface UnavailablePoolsTable {
  client_id: string;
  instance_type: string;
  availability_zone: string;
  until: Timestamp;
  reason: string;
}

export interface PriceSnapshotsTable {
  id: Generated<number>;
  client_id: string;
  agent_id: string;
  reporter_role: string | null;
  region: string | null;
  availability_zone: string;
  instance_type: string;
  product_description: string;
  spot_price: number;
  observed_at: Timestamp;
  received_at: DefaultTimestamp;
}

export interface OndemandPricesTable {
  region: string;
  instance_type: string;
  price: number;
  /** 'operator' (set by hand, never overwritten), 'builtin' (migration 002) or 'catalogue' (shipped data). */
  source: ColumnType<string, string | undefined, string>;
}

/** The savings rollup: one finished clock hour of a client (migration 010). */
export interface SavingsHoursTable {
  client_id: string;
  hour: Timestamp;
  spot_cost: number;
  ondemand_cost: number;
  unknown_ondemand_spend: number;
  costed: boolean;
  computed_at: Timestamp;
  /** The hour's agents have their rows (savings_agent_hours; false only before migration 012). */
  per_agent: Generated<boolean>;
  /** Numbered from a sequence when stored (migration 015): a later store numbers higher. */
  stored_seq: Generated<string>;
}

/** One agent's share of a stored client hour (migration 012). */
export interface SavingsAgentHoursTable {
  client_id: string;
  hour: Timestamp;
  agent_id: string;
  spot_cost: number;
  ondemand_cost: number;
  unknown_ondemand_spend: number;
  costed: boolean;
  replica_cost: number;
  replica_unknown: boolean;
}

/** A whole UTC day whose 24 hours are stored with their agents (migration 012). */
export interface SavingsDaysTable {
  client_id: string;
  day: Timestamp;
  last_hour: Timestamp;
}

/** One agent's stored hours of a whole day, summed (migration 012). */
export interface SavingsAgentDaysTable {
  client_id: string;
  day: Timestamp;
  agent_id: string;
  spot_cost: number;
  ondemand_cost: number;
  unknown_ondemand_spend: number;
  first_costed: Timestamp | null;
  replica_cost: number;
  replica_unknown: boolean;
}

/** An agent's runs in a stored day whose type's on-demand price is not known (migration 012). */
export interface SavingsAgentDayUnknownOndemandTable extends Omit<SavingsAgentUnknownOndemandTable, 'hour'> {
  day: Timestamp;
}

/** An agent's spot runs in a stored day in a pool with no price yet (migration 012). */
export interface SavingsAgentDayUnknownSpotTable extends Omit<SavingsAgentUnknownSpotTable, 'hour'> {
  day: Timestamp;
}

/** An agent's runs in a stored hour whose type's on-demand price is not known (migration 012). */
export interface SavingsAgentUnknownOndemandTable extends SavingsHourUnknownOndemandTable {
  agent_id: string;
}

/** An agent's spot runs in a stored hour in a pool with no price yet (migration 012). */
export interface SavingsAgentUnknownSpotTable extends SavingsHourUnknownSpotTable {
  agent_id: string;
}

/** An hour's runs whose type's on-demand price is not known (migration 010). */
export interface SavingsHourUnknownOndemandTable {
  client_id: string;
  hour: Timestamp;
  region: string;
  instance_type: string;
  market: string;
  hours: number;
  spend: number | null;
}

/** An hour's spot runs in a pool with no price yet (migration 010). */
export interface SavingsHourUnknownSpotTable {
  client_id: string;
  hour: Timestamp;
  instance_type: string;
  availability_zone: string;
  hours: number;
}

/** The running totals of a client's unknowns at each stored hour (migration 011). */
export interface SavingsUnknownTotalsTable {
  client_id: string;
  hour: Timestamp;
  ondemand: Json;
  spot: Json;
}

/** What triggers removed from the rollup, with the transaction that did it. */
export interface SavingsInvalidationsTable {
  id: Generated<string>;
  client_id: string | null;
  from_hour: Timestamp;
  xid: Generated<string>;
}

/** Consolidated tier: one step-function series per pool, each point flagged by where it came from. */
export interface PriceConsolidatedTable {
  client_id: string;
  instance_type: string;
  availability_zone: string;
  region: string | null;
  at: Timestamp;
  price: number;
  flag: 'reported' | 'backfilled' | 'interpolated';
  run_id: string;
}

export interface PricingRunsTable {
  id: string;
  seq: Generated<number>;
  trigger: string;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  window_start: Timestamp;
  pools: ColumnType<number, number | undefined, number>;
  points_read: ColumnType<number, number | undefined, number>;
  points_written: ColumnType<number, number | undefined, number>;
  gaps_found: ColumnType<number, number | undefined, number>;
  backfilled: ColumnType<number, number | undefined, number>;
  interpolated: ColumnType<number, number | undefined, number>;
  error: string | null;
}

export interface DecisionsTable {
  id: string;
  client_id: string;
  agent_id: string;
  policy: string;
  valid: boolean;
  error: string | null;
  input: Json;
  output: Json;
  action: string;
  latency_ms: number;
  switch_id: string | null;
  created_at: Timestamp;
  /** The model asked (006_model_registry); null when the rules were asked directly. */
  model_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Why the rules answered instead of that model. */
  fallback: ColumnType<
    'error' | 'timeout' | 'contract' | null,
    'error' | 'timeout' | 'contract' | null | undefined,
    never
  >;
}

export interface ModelsTable {
  id: string;
  name: string;
  version: number;
  description: string | null;
  status: 'uploaded' | 'validated' | 'rejected' | 'active' | 'retired';
  /** 'global' or a client id while active; null otherwise. */
  scope: string | null;
  contract: Json;
  bytes: ColumnType<Uint8Array, Uint8Array, never>;
  size_bytes: number;
  sha256: string;
  validation: ColumnType<unknown, string | null, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface Database {
  server_settings: ServerSettingsTable;
  clients: ClientsTable;
  agents: AgentsTable;
  agent_tokens: AgentTokensTable;
  instances: InstancesTable;
  lifecycle_events: LifecycleEventsTable;
  commands: CommandsTable;
  events: EventsTable;
  idempotency_keys: IdempotencyKeysTable;
  audit_log: AuditLogTable;
  sessions: SessionsTable;
  interruptions: InterruptionsTable;
  price_snapshots: PriceSnapshotsTable;
  ondemand_prices: OndemandPricesTable;
  price_consolidated: PriceConsolidatedTable;
  pricing_runs: PricingRunsTable;
  savings_hours: SavingsHoursTable;
  savings_agent_hours: SavingsAgentHoursTable;
  savings_days: SavingsDaysTable;
  savings_agent_days: SavingsAgentDaysTable;
  savings_agent_day_unknown_ondemand: SavingsAgentDayUnknownOndemandTable;
  savings_agent_day_unknown_spot: SavingsAgentDayUnknownSpotTable;
  savings_agent_unknown_ondemand: SavingsAgentUnknownOndemandTable;
  savings_agent_unknown_spot: SavingsAgentUnknownSpotTable;
  savings_hour_unknown_ondemand: SavingsHourUnknownOndemandTable;
  savings_hour_unknown_spot: SavingsHourUnknownSpotTable;
  savings_unknown_totals: SavingsUnknownTotalsTable;
  savings_invalidations: SavingsInvalidationsTable;
  agent_configs: AgentConfigsTable;
  join_tokens: JoinTokensTable;
  switches: SwitchesTable;
  unavailable_pools: UnavailablePoolsTable;
  decisions: DecisionsTable;
  models: ModelsTable;
}
