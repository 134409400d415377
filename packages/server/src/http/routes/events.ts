import type {} from '@fastify/websocket';
import type { StreamEvent } from '@spot/contract';
import { ErrorBody, StreamParams } from '@spot/contract';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError, notFound } from '../../domain/errors.ts';
import type { ClientService } from '../../services/client-service.ts';
import type { EventBus } from '../../services/event-bus.ts';
import type { Metrics } from '../metrics.ts';

/** A subscriber this far behind is cut off; it resumes with Last-Event-ID and loses nothing. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const SEQ_RE = /^\d{1,15}$/;

export interface EventRouteDeps {
  bus: EventBus;
  clients: ClientService;
  heartbeatMs: number;
  metrics: Metrics;
}

/** The tenant a stream is for, if the caller may see it; 404 otherwise, as for any foreign id. */
async function streamTenant(
  request: FastifyRequest,
  clientId: string | undefined,
  clients: ClientService,
): Promise<string> {
  const p = request.principal;
  if (!p) throw new DomainError('UNAUTHORIZED', 'missing or invalid credentials');
  if (p.kind === 'agent') throw new DomainError('FORBIDDEN', 'agents have no event stream');
  if (p.kind === 'client') {
    if (clientId !== undefined && clientId !== p.clientId) throw notFound('client', clientId);
    return p.clientId;
  }
  if (!clientId || !/^[0-9a-f-]{36}$/.test(clientId) || !(await clients.get(clientId))) {
    throw notFound('client', clientId ?? '(none)');
  }
  return clientId;
}

function resumeFrom(request: FastifyRequest, query: { last_event_id?: string | undefined }): number | null {
  const header = request.headers['last-event-id'];
  const raw = (typeof header === 'string' && header) || query.last_event_id;
  if (raw === undefined || raw === '') return null;
  if (!SEQ_RE.test(raw)) throw new DomainError('VALIDATION_ERROR', 'Last-Event-ID must be a sequence number');
  return Number(raw);
}

// The bus hands every subscriber the same event object: serialise it once, not once per
// connection (1,000 dashboards would otherwise cost 1,000 JSON.stringify calls per event).
const frames = new WeakMap<StreamEvent, string>();
const jsons = new WeakMap<StreamEvent, string>();

export function sseFrame(e: StreamEvent): string {
  let frame = frames.get(e);
  if (frame === undefined) {
    const idLine = e.seq === undefined ? '' : `id: ${e.seq}\n`;
    frame = `${idLine}event: ${e.type}\ndata: ${jsonOf(e)}\n\n`;
    frames.set(e, frame);
  }
  return frame;
}

const frameBuffers = new WeakMap<StreamEvent, Buffer>();

/** The frame encoded once per event: every socket then gets the same bytes, with no per-socket encoding. */
function sseFrameBytes(e: StreamEvent): Buffer {
  let bytes = frameBuffers.get(e);
  if (bytes === undefined) {
    bytes = Buffer.from(sseFrame(e), 'utf8');
    frameBuffers.set(e, bytes);
  }
  return bytes;
}

function jsonOf(e: StreamEvent): string {
  let json = jsons.get(e);
  if (json === undefined) {
    json = JSON.stringify(e);
    jsons.set(e, json);
  }
  return json;
}

export const eventRoutes =
  ({ bus, clients, heartbeatMs, metrics }: EventRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const ResumeQuery = z.object({ last_event_id: z.string().max(20).optional() });

    app.get(
      '/api/events/stream/:client_id',
      {
        schema: {
          tags: ['events'],
          summary:
            'Server-Sent Events for a tenant; resumes after Last-Event-ID (header or last_event_id query)',
          params: StreamParams,
          querystring: ResumeQuery,
          response: {
            200: z.string().describe('text/event-stream'),
            400: ErrorBody,
            401: ErrorBody,
            403: ErrorBody,
            404: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        const clientId = await streamTenant(request, request.params.client_id, clients);
        const after = resumeFrom(request, request.query);
        reply.hijack();
        const res = reply.raw;
        // The stream ends only when the connection does, so it needs no chunked framing:
        // frames then go straight to the socket, one write each — the cheapest fan-out.
        res.useChunkedEncodingByDefault = false;
        res.shouldKeepAlive = false;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'close',
          'x-accel-buffering': 'no',
        });
        res.flushHeaders();
        const socket = res.socket!;
        socket.setNoDelay(true);
        socket.write('retry: 2000\n\n');
        let closed = false;
        let unsubscribe: (() => void) | null = null;
        const close = () => {
          if (closed) return;
          closed = true;
          clearInterval(beat);
          unsubscribe?.();
          metrics.sseConnections.dec();
          res.end();
        };
        const write = (chunk: string | Buffer) => {
          if (closed) return;
          socket.write(chunk);
          if (socket.writableLength > MAX_BUFFERED_BYTES) close();
        };
        metrics.sseConnections.inc();
        const beat = setInterval(
          () => write(sseFrame({ type: 'HEARTBEAT', data: {}, timestamp: new Date().toISOString() })),
          heartbeatMs,
        );
        request.raw.on('close', close);
        try {
          unsubscribe = await bus.subscribe(clientId, after, (e) => write(sseFrameBytes(e)));
          if (closed) unsubscribe();
        } catch (err) {
          request.log.error({ err }, 'event stream failed to start');
          close();
        }
      },
    );

    app.get(
      '/ws',
      {
        websocket: true,
        schema: {
          tags: ['events'],
          summary:
            'The same events over WebSocket (cookie or Bearer auth; client_id for admins; last_event_id to resume)',
          querystring: z.object({
            client_id: z.string().max(64).optional(),
            last_event_id: z.string().max(20).optional(),
          }),
        },
      },
      async (socket, request) => {
        let unsubscribe: (() => void) | null = null;
        socket.on('close', () => unsubscribe?.());
        try {
          const q = request.query as { client_id?: string; last_event_id?: string };
          const clientId = await streamTenant(request, q.client_id, clients);
          const after = resumeFrom(request, q);
          metrics.wsConnections.inc();
          socket.on('close', () => metrics.wsConnections.dec());
          unsubscribe = await bus.subscribe(clientId, after, (e) => {
            if (socket.bufferedAmount > MAX_BUFFERED_BYTES)
              socket.close(1013, 'too slow; resume with last_event_id');
            else socket.send(jsonOf(e));
          });
          if (socket.readyState !== socket.OPEN) unsubscribe();
        } catch (err) {
          const e = err instanceof DomainError ? err : new DomainError('FORBIDDEN', 'cannot open stream');
          socket.send(JSON.stringify({ error: { code: e.code, message: e.message } }));
          socket.close(1008, e.code);
        }
      },
    );
  };
