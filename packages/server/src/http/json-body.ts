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
    parseJson(request, text, done);
  });
}
