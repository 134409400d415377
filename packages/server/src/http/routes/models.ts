import {
  ActivateModelRequest,
  ErrorBody,
  ModelDetail,
  ModelIdParams,
  ModelList,
  ModelView,
  UploadModelRequest,
} from '@spot/contract';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ModelRegistry } from '../../services/model-registry.ts';
import { requireAdmin } from '../auth.ts';

const ADMIN = 'admin';

/** The model registry's admin routes: upload, list, inspect, validate, activate, deactivate. */
export const modelRoutes =
  (models: ModelRegistry): FastifyPluginAsyncZod =>
  async (app) => {
    const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

    app.post(
      '/api/admin/models',
      {
        schema: {
          tags: ['admin'],
          summary: 'Upload an ONNX model (base64) with its declared contract; a new version of its name',
          body: UploadModelRequest,
          response: { 201: ModelView, ...errors, 413: ErrorBody },
        },
      },
      async (request, reply) => {
        requireAdmin(request);
        return reply.status(201).send(await models.upload(request.body, ADMIN));
      },
    );

    app.get(
      '/api/admin/models',
      {
        schema: {
          tags: ['admin'],
          summary: 'Every model version, by name then newest version first',
          response: { 200: ModelList, 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request) => {
        requireAdmin(request);
        return models.list();
      },
    );

    app.get(
      '/api/admin/models/:modelId',
      {
        schema: {
          tags: ['admin'],
          summary: 'A model with how it has served: decisions, fallbacks, latency p50/p99',
          params: ModelIdParams,
          response: { 200: ModelDetail, ...errors },
        },
      },
      async (request) => {
        requireAdmin(request);
        return models.get(request.params.modelId);
      },
    );

    app.post(
      '/api/admin/models/:modelId/validate',
      {
        schema: {
          tags: ['admin'],
          summary: 'Check the model against its contract on fixtures: validated or rejected, with the report',
          params: ModelIdParams,
          response: { 200: ModelView, ...errors },
        },
      },
      async (request) => {
        requireAdmin(request);
        return models.validate(request.params.modelId, ADMIN);
      },
    );

    app.post(
      '/api/admin/models/:modelId/activate',
      {
        schema: {
          tags: ['admin'],
          summary:
            'Activate a validated model globally or for one client (409 unless validated); retires the one it replaces',
          params: ModelIdParams,
          body: ActivateModelRequest,
          response: { 200: ModelView, ...errors },
        },
      },
      async (request) => {
        requireAdmin(request);
        return models.activate(request.params.modelId, request.body.scope, ADMIN);
      },
    );

    app.post(
      '/api/admin/models/:modelId/deactivate',
      {
        schema: {
          tags: ['admin'],
          summary: 'Deactivate an active model: its scope goes back to the global model or the rules',
          params: ModelIdParams,
          response: { 200: ModelView, ...errors },
        },
      },
      async (request) => {
        requireAdmin(request);
        return models.deactivate(request.params.modelId, ADMIN);
      },
    );
  };
