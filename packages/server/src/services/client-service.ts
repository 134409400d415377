import { randomUUID } from 'node:crypto';
import type { ClientView, CreateClientResponse } from '@spot/contract';
import { generateToken, hashToken } from '../auth/tokens.ts';
import { DomainError } from '../domain/errors.ts';
import { writeAudit } from '../repositories/audit.ts';
import { isoRequired } from '../views/time.ts';
import type { ServiceContext } from './context.ts';
import { inTransaction } from './unit-of-work.ts';

/** Tenants. The token is returned once at creation; only its hash is kept. */
export class ClientService {
  constructor(private readonly ctx: ServiceContext) {}

  async create(name: string, actor: string, presetToken?: string): Promise<CreateClientResponse> {
    const id = randomUUID();
    const token = presetToken ?? generateToken('client');
    await inTransaction(this.ctx, async (tx) => {
      const taken = await tx
        .selectFrom('clients')
        .select('id')
        .where('token_hash', '=', hashToken(token))
        .executeTakeFirst();
      if (taken) throw new DomainError('CONFLICT', 'another client already has this token');
      await tx
        .insertInto('clients')
        .values({ id, name, token_hash: hashToken(token) })
        .execute();
      await writeAudit(tx, {
        actor,
        action: 'client_created',
        entity_type: 'client',
        entity_id: id,
        before: null,
        after: { name },
      });
    });
    return { id, name, token };
  }

  async list(): Promise<ClientView[]> {
    const rows = await this.ctx.db.kysely
      .selectFrom('clients')
      .select(['id', 'name', 'created_at'])
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.name, created_at: isoRequired(r.created_at) }));
  }

  async get(id: string): Promise<ClientView | undefined> {
    const r = await this.ctx.db.kysely
      .selectFrom('clients')
      .select(['id', 'name', 'created_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? { id: r.id, name: r.name, created_at: isoRequired(r.created_at) } : undefined;
  }

  async findByTokenHash(token: string): Promise<{ id: string } | undefined> {
    return this.ctx.db.kysely
      .selectFrom('clients')
      .select('id')
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirst();
  }
}
