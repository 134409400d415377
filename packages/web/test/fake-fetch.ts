import { vi } from 'vitest';

export interface Call {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}
type Handler = (call: Call) => Promise<{ status: number; body: unknown }> | { status: number; body: unknown };

/** Routes fetch calls by "METHOD /path" (query ignored) and records them. */
export function fakeFetch(routes: Record<string, Handler>) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    const path = String(input).split('?')[0]!;
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>));
    const call = { method, path, headers, body: init.body ? JSON.parse(String(init.body)) : undefined };
    calls.push(call);
    const h = routes[`${method} ${path}`];
    const res = h
      ? await h(call)
      : { status: 404, body: { error: { code: 'NOT_FOUND', message: `no route ${method} ${path}` } } };
    return new Response(JSON.stringify(res.body), {
      status: res.status,
      headers: { 'content-type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fn);
  return { calls, fn };
}

export function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
