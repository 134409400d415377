import type { FastifyInstance } from 'fastify';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Deeper than any schema of the contract nests, by far. */
export const MAX_JSON_DEPTH = 64;

/** Whether JSON text opens more than `max` arrays/objects at once (brackets inside strings do not count). */
export function nestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \\ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

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
    // A body nested deeper than any message of ours overflowed the stack of the code that
    // walks it later (JSON.stringify in the idempotency hook: a 500, found by test/fuzz), so it
    // is refused here, before anything reads it.
    if (nestingExceeds(text, MAX_JSON_DEPTH)) {
      done(
        Object.assign(new Error(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`), {
          statusCode: 400,
          code: 'FST_ERR_CTP_INVALID_JSON_BODY',
        }),
        undefined,
      );
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
