import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { AuthService } from '../auth/auth-service.ts';
import { principalKey } from '../auth/principal.ts';
import type { AgentService } from '../services/agent-service.ts';
import type { ClientService } from '../services/client-service.ts';
import type { CommandDelivery } from '../services/command-delivery.ts';
import type { ServiceContext } from '../services/context.ts';
import type { DecisionService } from '../services/decision-service.ts';
import type { EventBus } from '../services/event-bus.ts';
import type { EventBridgeService } from '../services/eventbridge-service.ts';
import type { InsightService } from '../services/insight-service.ts';
import type { InstanceQueries } from '../services/instance-queries.ts';
import type { LifecycleService } from '../services/lifecycle-service.ts';
import type { ModelRegistry } from '../services/model-registry.ts';
import type { NoticeService } from '../services/notice-service.ts';
import type { PriceConsolidationService } from '../services/price-consolidation.ts';
import type { SavingsService } from '../services/savings-service.ts';
import type { SwitchService } from '../services/switch-service.ts';
import { installAuth } from './auth.ts';
import { errorBody, frameworkErrors, installErrorHandling, routeNotFound } from './errors.ts';
import { installIdempotency } from './idempotency.ts';
import { installStrictJsonParser } from './json-body.ts';
import type { Metrics } from './metrics.ts';
import { adminRoutes } from './routes/admin.ts';
import { agentRoutes } from './routes/agents.ts';
import { clientRoutes } from './routes/client.ts';
import { decisionRoutes } from './routes/decisions.ts';
import { eventBridgeRoutes } from './routes/eventbridge.ts';
import { eventRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { modelRoutes } from './routes/models.ts';
import { pricingAdminRoutes } from './routes/pricing-admin.ts';
import { savingsRoutes } from './routes/savings.ts';
import { sessionRoutes } from './routes/session.ts';
import { switchingRoutes } from './routes/switching.ts';

declare module 'fastify' {
  interface FastifyInstance {
    routeList: string[];
  }
}

export interface AppDeps {
  ctx: ServiceContext;
  log: Logger;
  auth: AuthService;
  clients: ClientService;
  agents: AgentService;
  lifecycle: LifecycleService;
  switching: SwitchService;
  decisions: DecisionService;
  models: ModelRegistry;
  eventbridge: EventBridgeService;
  notices: NoticeService;
  insights: InsightService;
  instances: InstanceQueries;
  savings: SavingsService;
  bus: EventBus;
  delivery: CommandDelivery;
  metrics: Metrics;
  pricing: PriceConsolidationService;
  version: string;
  bodyLimit: number;
  rateLimitPerMinute: number;
  webDistDir: string | undefined;
}

/** Builds the HTTP app: plugins, cross-cutting hooks, then the routes. No lifecycle logic here. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // Access logs at 5,000 heartbeats/s would drown everything else: see the debug-level
    // onResponse log below instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit,
    // Long-polls hold requests for up to a minute; never let a proxy-like timeout cut them.
    requestTimeout: 0,
    return503OnClosing: true,
    forceCloseConnections: true,
    frameworkErrors,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  installErrorHandling(app);
  installStrictJsonParser(app);
  await app.register(fastifyCookie);
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  // Every registered route, for the OpenAPI completeness test. Added after the websocket
  // plugin, whose own hook hides WebSocket routes from OpenAPI: we document /ws too.
  const routes: string[] = [];
  app.decorate('routeList', routes);
  app.addHook('onRoute', (r) => {
    if (r.websocket && r.schema) r.schema.hide = false;
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push(`${m} ${r.url}`);
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Spot Optimizer API', version: deps.version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // Per caller (principalKey, never the token) when the credential resolves, else per
  // address: keyed on any Bearer header, a fresh made-up token per request walked past
  // every limit.
  // Its onRequest check is a route-level hook, so it runs after the app-level auth hook has
  // resolved the caller (and before any body is parsed or validated).
  await app.register(fastifyRateLimit, {
    max: deps.rateLimitPerMinute,
    timeWindow: '1 minute',
    keyGenerator: (request) =>
      request.principal ? `p:${principalKey(request.principal)}` : `ip:${request.ip}`,
    errorResponseBuilder: (_request, ctx) => ({
      statusCode: 429,
      ...errorBody('RATE_LIMITED', `rate limit of ${ctx.max} requests per ${ctx.after} exceeded`),
    }),
  });

  installAuth(app, deps.auth);
  installIdempotency(app, deps.ctx.db);

  // A body-less POST counts as `{}` so optional bodies stay optional; a JSON `null` or an
  // array still fails validation.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.body === undefined) request.body = {};
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    request.log.debug(
      { method: request.method, route, status: reply.statusCode, ms: reply.elapsedTime },
      'request',
    );
  });

  await app.register(healthRoutes(deps.ctx.db, deps.metrics, deps.version));
  await app.register(sessionRoutes(deps.auth, deps.ctx.timings.sessionTtlMs));
  await app.register(adminRoutes(deps.clients));
  await app.register(pricingAdminRoutes(deps.pricing));
  await app.register(agentRoutes(deps));
  await app.register(clientRoutes(deps));
  await app.register(savingsRoutes(deps));
  await app.register(switchingRoutes(deps));
  await app.register(decisionRoutes(deps));
  await app.register(modelRoutes(deps.models));
  await app.register(eventBridgeRoutes(deps.eventbridge));
  await app.register(
    eventRoutes({
      bus: deps.bus,
      clients: deps.clients,
      heartbeatMs: deps.ctx.timings.sseHeartbeatMs,
      metrics: deps.metrics,
    }),
  );
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const dist = deps.webDistDir ? resolve(deps.webDistDir) : undefined;
  if (dist && existsSync(join(dist, 'index.html'))) {
    await app.register(fastifyStatic, { root: dist, wildcard: false, index: ['index.html'] });
    // Client-side routes fall back to the app shell; API paths keep their JSON 404.
    app.setNotFoundHandler((request, reply) => {
      if (request.method === 'GET' && !/^\/(api|ws|health|metrics)(\/|$)/.test(request.url)) {
        return reply.sendFile('index.html');
      }
      return routeNotFound(request, reply);
    });
  } else {
    app.setNotFoundHandler(routeNotFound);
  }
  return app;
}
