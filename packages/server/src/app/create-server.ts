import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { AuthService } from '../auth/auth-service.ts';
import { type Config, timings } from '../config.ts';
import { type Db, openDatabase } from '../db/database.ts';
import { runMigrations } from '../db/migrate.ts';
import { buildApp } from '../http/app.ts';
import { createMetrics } from '../http/metrics.ts';
import type { JobDeps } from '../jobs/catalog.ts';
import { JobScheduler } from '../jobs/scheduler.ts';
import { AgentService } from '../services/agent-service.ts';
import { CanonicalPrices } from '../services/canonical-prices.ts';
import { ClientService } from '../services/client-service.ts';
import { CommandDelivery } from '../services/command-delivery.ts';
import { CommandWaiters } from '../services/command-waiters.ts';
import type { ServiceContext } from '../services/context.ts';
import { DecisionService } from '../services/decision-service.ts';
import { EmergencyResponder } from '../services/emergency-responder.ts';
import { EventBus } from '../services/event-bus.ts';
import { EventBridgeService } from '../services/eventbridge-service.ts';
import { FleetKeeper } from '../services/fleet-keeper.ts';
import { InsightService } from '../services/insight-service.ts';
import { InstanceQueries } from '../services/instance-queries.ts';
import { LifecycleService } from '../services/lifecycle-service.ts';
import { ModelRegistry, type ModelRegistryOptions } from '../services/model-registry.ts';
import { NoticeService } from '../services/notice-service.ts';
import { PriceCatalogue } from '../services/price-catalogue.ts';
import { PriceConsolidationService } from '../services/price-consolidation.ts';
import { SavingsRollup } from '../services/savings-rollup.ts';
import { SavingsService } from '../services/savings-service.ts';
import { SwitchCoordinator } from '../services/switch-coordinator.ts';
import { SwitchService } from '../services/switch-service.ts';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
export const DEFAULT_WEB_DIST = fileURLToPath(new URL('../../../web/dist', import.meta.url));

export interface SpotServer {
  app: FastifyInstance;
  db: Db;
  ctx: ServiceContext;
  clients: ClientService;
  agents: AgentService;
  lifecycle: LifecycleService;
  switching: SwitchService;
  models: ModelRegistry;
  bus: EventBus;
  /** The dashboard's instance reads (tests watch its held active list). */
  instances: InstanceQueries;
  scheduler: JobScheduler;
  /** What scheduled jobs are handed (tests run one job at a time with it). */
  jobDeps: JobDeps;
  /** A generated admin token on first start (print it once), else null. */
  generatedAdminToken: string | null;
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface CreateOptions {
  log?: Logger;
  /** Use an open database (tests); otherwise one is opened from the config. */
  db?: Db;
  /** Start the scheduled jobs (default true). */
  jobs?: boolean;
  now?: () => Date;
  /** Model registry seams (tests: a loader or a served scorer that fails or hangs). */
  models?: Pick<ModelRegistryOptions, 'load' | 'serve' | 'timer'>;
}

/** The composition root: every service is built here, once, and handed what it needs. */
export async function createServer(config: Config, options: CreateOptions = {}): Promise<SpotServer> {
  const log =
    options.log ??
    pino({
      level: config.LOG_LEVEL,
      redact: ['req.headers.authorization', 'req.headers.cookie', '*.token', '*.agent_token'],
    });
  const db =
    options.db ??
    (await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.SPOT_DATA_DIR,
      poolSize: config.DB_POOL_SIZE,
      onError: (err) => log.warn({ err }, 'database connection error'),
    }));
  await runMigrations(db);
  const ctx: ServiceContext = { db, timings: timings(config), log, now: options.now ?? (() => new Date()) };

  // The cache's lifetimes run on the product's one clock.
  const auth = new AuthService(db, () => ctx.now().getTime());
  await auth.start();
  const generatedAdminToken = await auth.ensureAdminToken(config.ADMIN_TOKEN);
  const clients = new ClientService(ctx);
  const coordinator = new SwitchCoordinator(ctx);
  const agents = new AgentService(ctx, coordinator);
  const emergencies = new EmergencyResponder(ctx, coordinator);
  coordinator.onEnded = (tx, row) => emergencies.onSwitchEnded(tx, row);
  const lifecycle = new LifecycleService(ctx, coordinator, emergencies);
  const switching = new SwitchService(ctx, coordinator);
  const metrics = createMetrics();
  const models = new ModelRegistry(ctx, {
    timeoutMs: config.DECISION_MODEL_TIMEOUT_MS,
    refreshMs: config.MODEL_REFRESH_SECONDS * 1000,
    ...options.models,
  });
  const decisions = new DecisionService(ctx, coordinator, metrics, undefined, models);
  const notices = new NoticeService(ctx, emergencies);
  // The shipped on-demand catalogue is loaded at every start (operator-set rows are kept).
  const catalogue = PriceCatalogue.load();
  log.info({ rows: await catalogue.apply(db.kysely) }, 'on-demand price catalogue loaded');
  const canonical = new CanonicalPrices(ctx.timings.pricing.canonicalTtlMs, catalogue, metrics);
  decisions.canonical = canonical;
  notices.onPoolsReported = (clientId, pools) => canonical.invalidate(clientId, pools);
  const pricing = new PriceConsolidationService(ctx);
  const eventbridge = new EventBridgeService(ctx, notices, lifecycle);
  const insights = new InsightService(ctx, (from) => metrics.priceSeriesAnswers.inc({ from }));
  const instances = new InstanceQueries(ctx, (from) => metrics.instanceListAnswers.inc({ from }));
  const rollup = new SavingsRollup(ctx, {
    stored: (from) => metrics.savingsStoredParts.inc({ from }),
    live: (from) => metrics.savingsLiveSpans.inc({ from }),
  });
  const savings = new SavingsService(
    ctx,
    {
      downtimeUsdPerHour: config.DOWNTIME_COST_USD_PER_HOUR,
      defaultBootSeconds: config.REPLACEMENT_BOOT_SECONDS,
    },
    rollup,
  );
  const bus = new EventBus(db, (err) => log.error({ err }, 'event bus error'));
  const waiters = new CommandWaiters(db);
  await bus.start();
  ctx.publishCommitted = (events) => bus.publishCommitted(events);
  await waiters.start();
  const app = await buildApp({
    ctx,
    log,
    auth,
    clients,
    agents,
    lifecycle,
    switching,
    decisions,
    models,
    eventbridge,
    notices,
    insights,
    instances,
    savings,
    bus,
    delivery: new CommandDelivery(ctx, waiters),
    metrics,
    pricing,
    version: VERSION,
    bodyLimit: config.BODY_LIMIT_BYTES,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    webDistDir: config.WEB_DIST_DIR ?? DEFAULT_WEB_DIST,
  });
  const jobDeps: JobDeps = {
    ctx,
    agents,
    switches: coordinator,
    keeper: new FleetKeeper(ctx, coordinator, emergencies),
    decisions,
    pricing,
    rollup,
  };
  const scheduler = new JobScheduler(jobDeps);
  // A candidate pool's price changed: auto_switch workloads are decided again at once.
  notices.onPriceChanged = () => scheduler.runSoon('auto-switch');
  if (options.jobs !== false) scheduler.start();

  let closed = false;
  return {
    app,
    db,
    ctx,
    clients,
    agents,
    lifecycle,
    switching,
    models,
    bus,
    instances,
    scheduler,
    jobDeps,
    generatedAdminToken,
    async listen() {
      return app.listen({ port: config.PORT, host: config.HOST });
    },
    async close() {
      if (closed) return;
      closed = true;
      await scheduler.stop();
      await waiters.stop();
      await bus.stop();
      await auth.stop();
      await app.close();
      await models.close();
      if (!options.db) await db.close();
    },
  };
}
