import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { principalKey } from '../auth/principal.ts';
import type { Db } from '../db/database.ts';
import type { Executor } from '../db/executor.ts';
import { DomainError } from '../domain/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { principal: string; key: string } | null;
  }
}

const KEY_RE = /^[\x21-\x7e]{1,200}$/;
/** No POST of ours runs this long: an older `in_progress` claim was abandoned. */
export const STALE_CLAIM_MS = 30_000;

/** The client's key for this request: `Idempotency-Key`, or the seeds' `X-Request-ID`. */
export function idempotencyKeyOf(request: FastifyRequest): string | null {
  const raw = request.headers['idempotency-key'] ?? request.headers['x-request-id'];
  if (raw === undefined) return null;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (!key || !KEY_RE.test(key)) {
    throw new DomainError('VALIDATION_ERROR', 'Idempotency-Key must be 1-200 printable ASCII characters');
  }
  return key;
}

/**
 * Idempotent POSTs. The first request with a key claims it (a row `in_progress`) before it
 * runs; its 2xx answer is stored and replayed for every repeat; a failed request releases
 * the key, since it changed nothing. The same key with another body is refused (422), and a
 * repeat that arrives while the first still runs is told so (409) rather than run twice.
 */
export function installIdempotency(app: FastifyInstance, db: Db): void {
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || !request.principal) return;
    const key = idempotencyKeyOf(request);
    if (!key) return;
    const principal = principalKey(request.principal);
    const hash = createHash('sha256')
      .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
      .digest('hex');
    const claimed = await db.kysely
      .insertInto('idempotency_keys')
      .values({
        principal,
        key,
        method: request.method,
        path: request.url,
        request_hash: hash,
        state: 'in_progress',
      })
      .onConflict((oc) => oc.columns(['principal', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (claimed) {
      request.idempotency = { principal, key };
      return;
    }
    const prior = await db.kysely
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('principal', '=', principal)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!prior)
      throw new DomainError('IDEMPOTENCY_IN_PROGRESS', 'retry: the earlier request with this key just ended');
    if (prior.request_hash !== hash) {
      throw new DomainError(
        'IDEMPOTENCY_KEY_REUSED',
        'this Idempotency-Key was used for a different request',
      );
    }
    if (prior.state !== 'done') {
      // A claim nobody finished (the process died mid-request, or lost its database at
      // shutdown) would answer 409 forever and wedge the client's retries — an agent's
      // outbox did exactly that after a server restart. Past STALE_CLAIM_MS it is taken over.
      const taken = await db.kysely
        .updateTable('idempotency_keys')
        .set({ created_at: sql`now()` })
        .where('principal', '=', principal)
        .where('key', '=', key)
        .where('state', '=', 'in_progress')
        .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${STALE_CLAIM_MS / 1000})`)
        .returning('key')
        .executeTakeFirst();
      if (taken) {
        request.idempotency = { principal, key };
        return;
      }
      throw new DomainError(
        'IDEMPOTENCY_IN_PROGRESS',
        'a request with this Idempotency-Key is still running',
      );
    }
    reply.header('idempotent-replayed', 'true');
    return reply.status(prior.status_code ?? 200).send(prior.response);
  });

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    const idem = request.idempotency;
    if (!idem) return payload;
    request.idempotency = null;
    const where = db.kysely
      .updateTable('idempotency_keys')
      .where('principal', '=', idem.principal)
      .where('key', '=', idem.key);
    if (reply.statusCode >= 200 && reply.statusCode < 300) {
      // Still in progress unless the route recorded its answer in its own transaction.
      await where
        .where('state', '=', 'in_progress')
        .set({
          state: 'done',
          status_code: reply.statusCode,
          response: typeof payload === 'string' ? payload : 'null',
        })
        .execute();
    } else {
      await db.kysely
        .deleteFrom('idempotency_keys')
        .where('principal', '=', idem.principal)
        .where('key', '=', idem.key)
        .execute();
    }
    return payload;
  });
}

/**
 * Records a request's idempotent answer inside the transaction of the change it guards, for
 * routes whose service takes a recorder: the change and "done, this was the answer" commit
 * together, so a process that dies after the commit and before the answer is sent leaves a
 * key that replays the answer, not a claim a retry takes over after STALE_CLAIM_MS and runs
 * again (a second launch). Without an Idempotency-Key there is nothing to record (undefined).
 */
export function answerRecorder(
  request: FastifyRequest,
  statusCode: number,
): ((tx: Executor, body: unknown) => Promise<void>) | undefined {
  const idem = request.idempotency;
  if (!idem) return undefined;
  return async (tx, body) => {
    await tx
      .updateTable('idempotency_keys')
      .set({ state: 'done', status_code: statusCode, response: JSON.stringify(body) })
      .where('principal', '=', idem.principal)
      .where('key', '=', idem.key)
      .where('state', '=', 'in_progress')
      .execute();
  };
}
