import { ErrorBody } from '@spot/contract';
import type { z } from 'zod';

/** A non-2xx answer from the server, with its error code from the one error shape. */
export class ServerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`server answered ${status} ${code}: ${message}`);
  }
}

/** The server could not be reached, or its answer was not what the contract says. */
export class TransportError extends Error {}

/**
 * Worth trying again later: no connection, a timeout, 5xx, 429, 408, or 409
 * IDEMPOTENCY_IN_PROGRESS (the first request with that key is still running). Everything
 * else (400, 401, 403, 404, 409 transition, 422) will get the same answer next time.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof TransportError) return true;
  if (err instanceof ServerError)
    return (
      err.status >= 500 ||
      err.status === 429 ||
      err.status === 408 ||
      (err.status === 409 && err.code === 'IDEMPOTENCY_IN_PROGRESS')
    );
  return false;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  idempotencyKey?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export class HttpClient {
  constructor(
    private readonly baseUrl: string,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  /** Sends one request and validates the answer with `schema` (the contract's response schema). */
  async request<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    opts: RequestOptions = {},
  ): Promise<z.infer<S>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    // Tokens travel only in the Authorization header, never in the URL (DESIGN §5).
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal,
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      throw new TransportError(`${method} ${path}: ${e.cause?.code ?? e.name ?? 'error'} ${e.message}`);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new TransportError(`${method} ${path}: answer cut off: ${(err as Error).message}`);
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      if (res.ok) throw new TransportError(`${method} ${path}: answer is not JSON`);
    }
    if (!res.ok) {
      const parsed = ErrorBody.safeParse(json);
      const code = parsed.success ? parsed.data.error.code : `HTTP_${res.status}`;
      const message = parsed.success ? parsed.data.error.message : text.slice(0, 200);
      throw new ServerError(res.status, code, message);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new TransportError(
        `${method} ${path}: answer does not match the contract: ${parsed.error.issues[0]?.message}`,
      );
    }
    return parsed.data;
  }
}
