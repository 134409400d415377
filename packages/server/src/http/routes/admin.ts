import { ClientList, CreateClientRequest, CreateClientResponse, ErrorBody } from '@spot/contract';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ClientService } from '../../services/client-service.ts';
import { requireAdmin } from '../auth.ts';

export const adminRoutes =
  (clients: ClientService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/api/admin/clients',
      {
        schema: {
          tags: ['admin'],
          summary: 'Create a client (tenant); its token is shown once',
          body: CreateClientRequest,
          response: {
            201: CreateClientResponse,
            400: ErrorBody,
            401: ErrorBody,
            403: ErrorBody,
            409: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        requireAdmin(request);
        const created = await clients.create(request.body.name, 'admin', request.body.token);
        return reply.status(201).send(created);
      },
    );

    app.get(
      '/api/admin/clients',
      {
        schema: {
          tags: ['admin'],
          summary: 'List clients',
          response: { 200: ClientList, 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request) => {
        requireAdmin(request);
        return { clients: await clients.list() };
      },
    );
  };
