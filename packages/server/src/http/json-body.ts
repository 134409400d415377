import type { FastifyInstance } from 'fastify';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON bodies must be UTF-8 (RFC 8259). Fastify's own parser decodes invalid bytes to
 * U+FFFD and goes on, so a name with broken bytes was stored as replacement characters
 * (found by test/fuzz). This parser refuses such a body as INVALID_JSON, then hands the
 * text to Fastify's default JSON parser (prototype-poisoning checks included).
 */
export function installStrictJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      const err = Object.assign(new Error('body is not valid UTF-8'), {
        statusCode: 400,
        code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      });
      done(err, undefined);
      return;
    }
    // PostgreSQL text and jsonb cannot hold U+0000: a NUL anywhere in a body would fail deep
    // in a query as a 500 (found by test/fuzz), so it is refused here. The walk runs only
    // when the text could contain one.
    if (!text.includes('\\u0000') && !text.includes('\u0000')) {
      parseJson(request, text, done);
      return;
    }
    parseJson(request, text, (err, value) => {
      if (err || !containsNul(value)) return done(err, value);
      done(
        Object.assign(new Error('strings must not contain NUL (U+0000) characters'), {
          statusCode: 400,
          code: 'FST_ERR_CTP_INVALID_JSON_BODY',
        }),
        undefined,
      );
    });
  });
}

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (k.includes('\u0000') || containsNul(v)) return true;
  }
  return false;
}
