import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { DomainError } from '../domain/errors.ts';

export interface ErrorReply {
  error: { code: string; message: string; details?: unknown };
}

export const errorBody = (code: string, message: string, details?: unknown): ErrorReply => ({
  error: { code, message, ...(details === undefined ? {} : { details }) },
});

/** Fastify's own 4xx codes, named for our clients. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_VALIDATION: 'VALIDATION_ERROR',
};

/**
 * Errors the router raises before any route runs (a malformed percent-encoding, a path
 * parameter over maxParamLength): Fastify answers these itself, in its own shape, unless
 * given this handler. Found by test/fuzz. The path is not echoed back.
 */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
  const message =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path parameter is too long' : 'the URL is not valid';
  void reply.status(status).send(errorBody(status === 414 ? 'URI_TOO_LONG' : 'BAD_REQUEST', message));
}

/** One error shape everywhere; never a stack trace; a 500 only for our own bugs. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof DomainError) {
      return reply.status(err.status).send(errorBody(err.code, err.message, err.details));
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const details = err.validation.map((v) => ({
        path: [err.validationContext ?? 'body', ...v.instancePath.split('/').filter(Boolean)].join('.'),
        message: v.message,
      }));
      return reply
        .status(400)
        .send(errorBody('VALIDATION_ERROR', 'request does not match the schema', details));
    }
    if (isResponseSerializationError(err)) {
      request.log.error({ err }, 'response failed its own schema');
      return reply.status(500).send(errorBody('INTERNAL', 'internal error'));
    }
    // PostgreSQL refuses U+0000 in text (SQLSTATE 22021): bad input (a query string), not our bug.
    if ((err as { code?: string }).code === '22021') {
      return reply
        .status(400)
        .send(errorBody('VALIDATION_ERROR', 'text must not contain NUL (U+0000) characters'));
    }
    const status = err.statusCode ?? 500;
    if (status === 429) {
      // @fastify/rate-limit throws what our errorResponseBuilder returned: a plain object
      // whose message sits in `error.message`, not an Error. Without this the answer had no
      // message at all (found by test/fuzz).
      const built = (err as unknown as { error?: { message?: string } }).error?.message;
      return reply.status(429).send(errorBody('RATE_LIMITED', err.message || built || 'rate limit exceeded'));
    }
    if (status >= 400 && status < 500) {
      const code = FASTIFY_CODES[err.code] ?? (status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST');
      return reply.status(status).send(errorBody(code, err.message));
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send(errorBody('INTERNAL', 'internal error'));
  });
}

/** The JSON 404 for a path no route serves (app.ts installs it once, SPA-aware when the dashboard is served). */
export function routeNotFound(request: FastifyRequest, reply: FastifyReply): void {
  void reply
    .status(404)
    .send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
}
