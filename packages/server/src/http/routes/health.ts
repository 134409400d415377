import { HealthResponse } from '@spot/contract';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { Metrics } from '../metrics.ts';

const started = Date.now();

export const healthRoutes =
  (db: Db, metrics: Metrics, version: string): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/health',
      {
        schema: {
          tags: ['ops'],
          summary: 'Liveness and database reachability',
          response: { 200: HealthResponse, 503: HealthResponse },
        },
      },
      async (_request, reply) => {
        let ok = true;
        try {
          await sql`SELECT 1`.execute(db.kysely);
        } catch {
          ok = false;
        }
        const body = {
          status: ok ? ('ok' as const) : ('degraded' as const),
          database: db.kind,
          version,
          uptime_seconds: Math.round((Date.now() - started) / 1000),
        };
        return reply.status(ok ? 200 : 503).send(body);
      },
    );

    app.get(
      '/metrics',
      { schema: { tags: ['ops'], summary: 'Prometheus metrics', hide: false } },
      async (_request, reply) => {
        reply.header('content-type', metrics.registry.contentType);
        return metrics.registry.metrics();
      },
    );
  };
