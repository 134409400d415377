/**
 * Route option for the large lists (thousands of rows) and the hottest answers (heartbeats,
 * thousands a second): their bodies are built by typed code (views/ and services, checked
 * against the contract's types at compile time) and written with JSON.stringify, without the
 * response schema's validation pass, which was a fifth of the instance list's time. The
 * schema still documents the route in OpenAPI.
 */
export const typedSerializer = {
  serializerCompiler: () => (data: unknown) => JSON.stringify(data),
};

/**
 * Sends bytes that already are the route's JSON answer (a held one): Fastify sends bytes
 * typed as JSON as they are, without a serialisation pass. The route's reply is typed by its
 * response schema, which bytes do not fit; they were written from that same type.
 */
export function sendJsonBytes<R extends { type(contentType: string): R }>(reply: R, bytes: Buffer): R {
  (reply.type('application/json; charset=utf-8') as unknown as { send(body: Buffer): unknown }).send(bytes);
  return reply;
}
