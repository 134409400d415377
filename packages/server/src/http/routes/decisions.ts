import { DecisionList, DecisionListQuery, ErrorBody } from '@spot/contract';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ClientService } from '../../services/client-service.ts';
import type { DecisionService } from '../../services/decision-service.ts';
import { tenantOf } from '../client-request.ts';

export interface DecisionRouteDeps {
  clients: ClientService;
  decisions: DecisionService;
}

/** The decision engine's record: every decision with its input, output, policy and latency. */
export const decisionRoutes =
  ({ clients, decisions }: DecisionRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tenant = tenantOf(clients);
    app.get(
      '/api/client/decisions',
      {
        schema: {
          tags: ['client'],
          summary: 'Decisions of the decision engine (auto_switch), newest first',
          querystring: DecisionListQuery,
          response: { 200: DecisionList, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request) => decisions.list(await tenant(request), request.query),
    );
  };
