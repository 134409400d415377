import {
  AgentParams,
  AgentSavingsDetail,
  AgentSavingsList,
  AgentSavingsQuery,
  ErrorBody,
  SavingsQuery,
  SavingsResponse,
} from '@spot/contract';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ClientService } from '../../services/client-service.ts';
import type { SavingsService } from '../../services/savings-service.ts';
import { tenantOf } from '../client-request.ts';
import { typedSerializer } from '../typed-serializer.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

export interface SavingsRouteDeps {
  clients: ClientService;
  savings: SavingsService;
}

/** Savings against on-demand, switch impact and replica ROI, over a bounded window. Routes only translate. */
export const savingsRoutes =
  ({ clients, savings }: SavingsRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tenant = tenantOf(clients);

    app.get(
      '/api/client/savings',
      {
        schema: {
          tags: ['client'],
          summary:
            'Fleet savings vs on-demand over the window: hourly, cumulative, current rate, projections',
          querystring: SavingsQuery,
          response: { 200: SavingsResponse, ...errors },
        },
      },
      async (request) => savings.fleet(await tenant(request), request.query.hours),
    );

    app.get(
      '/api/client/savings/agents',
      {
        schema: {
          tags: ['client'],
          summary: 'Savings and replica ROI per agent over the window',
          querystring: AgentSavingsQuery,
          response: { 200: AgentSavingsList, ...errors },
        },
        // A row per agent (thousands), built by the typed service: no per-row validation pass.
        ...typedSerializer,
      },
      async (request) =>
        savings.agents(await tenant(request), request.query.hours, request.query.downtime_usd_per_hour),
    );

    app.get(
      '/api/client/agents/:agent_id/savings',
      {
        schema: {
          tags: ['client'],
          summary: "One agent's savings, each switch's impact and its replica ROI over the window",
          params: AgentParams,
          querystring: AgentSavingsQuery,
          response: { 200: AgentSavingsDetail, ...errors },
        },
      },
      async (request) =>
        savings.agent(
          await tenant(request),
          request.params.agent_id,
          request.query.hours,
          request.query.downtime_usd_per_hour,
        ),
    );
  };
