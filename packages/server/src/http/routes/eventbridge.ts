import {
  ErrorBody,
  EVENTBRIDGE_SECRET_HEADER,
  EventBridgeEnvelope,
  EventBridgeResponse,
  EventBridgeSecretRequest,
  EventBridgeSecretResponse,
} from '@spot/contract';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EventBridgeService } from '../../services/eventbridge-service.ts';
import { requireAdmin } from '../auth.ts';

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ErrorBody,
};

/** EventBridge deliveries (a second interruption source) and the admin route for their secret. */
export const eventBridgeRoutes =
  (eventbridge: EventBridgeService): FastifyPluginAsyncZod =>
  async (app) => {
    app.put(
      '/api/admin/clients/:client_id/eventbridge-secret',
      {
        schema: {
          tags: ['admin'],
          summary:
            "Set a client's EventBridge secret (sent by the API destination as X-Spot-EventBridge-Secret)",
          params: z.object({ client_id: z.uuid() }),
          body: EventBridgeSecretRequest,
          response: { 200: EventBridgeSecretResponse, ...errors },
        },
      },
      async (request) => {
        requireAdmin(request);
        await eventbridge.setSecret(request.params.client_id, request.body.secret);
        return { client_id: request.params.client_id, configured: true as const };
      },
    );

    app.post(
      '/api/integrations/eventbridge',
      {
        schema: {
          tags: ['integrations'],
          summary:
            'EventBridge EC2 events (interruption warning, rebalance recommendation, state change); unknown instances: 202, ignored',
          headers: z.object({ [EVENTBRIDGE_SECRET_HEADER]: z.string().max(200).optional() }).passthrough(),
          body: EventBridgeEnvelope,
          response: { 202: EventBridgeResponse, ...errors },
        },
      },
      async (request, reply) => {
        const secret = request.headers[EVENTBRIDGE_SECRET_HEADER];
        const clientId = await eventbridge.clientForSecret(typeof secret === 'string' ? secret : undefined);
        return reply.status(202).send(await eventbridge.deliver(clientId, request.body));
      },
    );
  };
