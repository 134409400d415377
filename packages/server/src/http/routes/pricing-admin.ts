import {
  ConsolidateQuery,
  ErrorBody,
  PricingRunList,
  PricingRunsQuery,
  PricingRunView,
} from '@spot/contract';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { type PriceConsolidationService, toPricingRunView } from '../../services/price-consolidation.ts';
import { requireAdmin } from '../auth.ts';

/** The pricing pipeline's admin routes: run the consolidation now, list its runs. */
export const pricingAdminRoutes =
  (pricing: PriceConsolidationService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/api/admin/pricing/consolidate',
      {
        schema: {
          tags: ['admin'],
          summary:
            'Consolidate staged spot prices now (as the scheduled job does); returns the run with its counts',
          querystring: ConsolidateQuery,
          response: { 200: PricingRunView, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody },
        },
      },
      async (request) => {
        requireAdmin(request);
        return toPricingRunView(await pricing.runNow(request.query.window_hours * 3_600_000));
      },
    );

    app.get(
      '/api/admin/pricing/runs',
      {
        schema: {
          tags: ['admin'],
          summary: 'Price consolidation runs, newest first, with their counts and errors',
          querystring: PricingRunsQuery,
          response: { 200: PricingRunList, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request) => {
        requireAdmin(request);
        return pricing.list(request.query.limit);
      },
    );
  };
