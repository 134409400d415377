// One node:http server, three faces: the EC2 Query API (`/`), IMDSv2 (`/imds/{id}/…`) and the
// control API (`/_sim/…`). This layer only parses and serialises; the Simulator does the rest.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { handleControl } from '../control/routes.ts';
import type { Simulator } from '../core/simulator.ts';
import { handleEc2 } from '../ec2/dispatch.ts';
import { parseParams } from '../ec2/query-params.ts';
import { handleImds } from '../imds/handler.ts';
import type { ImdsTokens } from '../imds/tokens.ts';
import { BodyTooLarge, readBody } from './body.ts';

export type LogFn = (entry: Record<string, unknown>) => void;

export interface HttpContext {
  sim: Simulator;
  tokens: ImdsTokens;
  /** Set once listening: the base URL put into `imds_endpoint`. */
  baseUrl: () => string;
  log: LogFn;
  /** The EventBridge delivery log, when a target is configured. */
  eventDeliveries?: () => unknown[];
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, 'application/json', JSON.stringify(value));

async function route(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim.invalid');
  const method = req.method ?? 'GET';
  const path = url.pathname;

  if (path === '/_sim' || path.startsWith('/_sim/')) {
    const text = await readBody(req);
    let body: unknown;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        return sendJson(res, 400, { error: { code: 'bad_request', message: 'body is not valid JSON' } });
      }
    }
    const reply = handleControl(
      ctx.sim,
      ctx.baseUrl(),
      { method, path: path.slice('/_sim'.length), query: url.searchParams, body },
      { eventDeliveries: ctx.eventDeliveries },
    );
    if (method !== 'GET' && reply.status < 300)
      ctx.log({ msg: 'control', method, path, status: reply.status });
    return sendJson(res, reply.status, reply.body);
  }

  const imds = /^\/imds\/([^/]+)(\/.*)$/.exec(path);
  if (imds) {
    await readBody(req);
    const reply = handleImds(
      ctx.sim,
      ctx.tokens,
      decodeURIComponent(imds[1]!),
      method,
      imds[2]!,
      req.headers,
    );
    return send(
      res,
      reply.status,
      reply.headers['content-type']!,
      method === 'HEAD' ? '' : reply.body,
      reply.headers,
    );
  }

  if (path === '/' && (method === 'POST' || method === 'GET')) {
    const text = await readBody(req);
    const params = parseParams(url.searchParams, new URLSearchParams(method === 'POST' ? text : ''));
    const reply = handleEc2(ctx.sim, params, req.headers.authorization);
    if (reply.unexpected)
      ctx.log({
        level: 'error',
        msg: 'EC2 action failed unexpectedly',
        action: params.get('Action'),
        error: String(reply.unexpected),
      });
    return send(res, reply.status, 'text/xml;charset=UTF-8', reply.body);
  }

  return send(res, 404, 'text/plain', 'Not Found');
}

export function createSimServer(ctx: HttpContext): Server {
  return createServer((req, res) => {
    route(ctx, req, res).catch((err: unknown) => {
      // Never crash the process on one request; answer and log.
      if (err instanceof BodyTooLarge) {
        if (!res.headersSent) send(res, 413, 'text/plain', err.message, { connection: 'close' });
        return;
      }
      ctx.log({ level: 'error', msg: 'request failed', url: req.url?.split('?')[0], error: String(err) });
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'internal', message: 'internal error' } });
      else res.destroy();
    });
  });
}
