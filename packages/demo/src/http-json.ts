/**
 * The demo's one HTTP helper, for the server's API and the simulator's control API alike:
 * JSON in and out, an optional Bearer token, a clear error naming the call on non-2xx.
 */
export async function requestJson<T>(
  url: string,
  opts: { method?: string; token?: string; body?: unknown; idempotencyKey?: string } = {},
): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
  const res = await fetch(url, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${new URL(url).pathname}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}
