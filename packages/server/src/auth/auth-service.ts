import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { AgentTokenLookup } from './agent-token-lookup.ts';
import type { Principal } from './principal.ts';
import { generateToken, hashToken, sameHash, tokenKind } from './tokens.ts';

const ADMIN_HASH_KEY = 'admin_token_hash';
/** Resolved tokens are cached briefly: heartbeats at thousands per second must not each hit the DB. */
const CACHE_TTL_MS = 30_000;
/** Tokens held at most: a fleet's agents and its people; beyond it the least recently used go. */
const CACHE_MAX = 200_000;
/** A revoked token's hash, so every replica drops it from its cache at once (payload: the hash). */
export const AUTH_REVOKED_CHANNEL = 'spot_auth_revoked';

interface Resolved {
  principal: Principal;
  /** When the credential itself ends (a session), if before the cache lifetime. */
  expiresAt?: number;
}

/** A credential without an end of its own (all but sessions). */
const resolved = (principal: Principal | null): Resolved | null => (principal ? { principal } : null);

export class AuthService {
  private adminHash: string | null = null;
  /** Insertion order is use order (a hit moves its entry to the end): the first key is the LRU. */
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  private readonly agentTokens: AgentTokenLookup;
  private stopListening: (() => Promise<void>) | null = null;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = CACHE_MAX,
  ) {
    this.agentTokens = new AgentTokenLookup(db);
  }

  /**
   * Listens for revocations from any replica. A reconnect of the listening connection (it may
   * have missed some) drops the whole cache.
   */
  async start(): Promise<void> {
    this.stopListening = await this.db.listen(AUTH_REVOKED_CHANNEL, (hash) => {
      if (hash) this.cache.delete(hash);
      else this.cache.clear();
    });
  }

  async stop(): Promise<void> {
    await this.stopListening?.();
    this.stopListening = null;
  }

  /**
   * Makes sure an admin token exists. With ADMIN_TOKEN set, its hash becomes the admin
   * credential. Otherwise one is generated at first start and returned (to be printed once);
   * later starts return null.
   */
  async ensureAdminToken(configured: string | undefined): Promise<string | null> {
    const k = this.db.kysely;
    if (configured) {
      this.adminHash = hashToken(configured);
      await k
        .insertInto('server_settings')
        .values({ key: ADMIN_HASH_KEY, value: this.adminHash })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: this.adminHash!, updated_at: new Date() }))
        .execute();
      return null;
    }
    const row = await k
      .selectFrom('server_settings')
      .select('value')
      .where('key', '=', ADMIN_HASH_KEY)
      .executeTakeFirst();
    if (row) {
      this.adminHash = row.value;
      return null;
    }
    const token = generateToken('admin');
    this.adminHash = hashToken(token);
    await k.insertInto('server_settings').values({ key: ADMIN_HASH_KEY, value: this.adminHash }).execute();
    return token;
  }

  async resolveBearer(token: string): Promise<Principal | null> {
    if (token.length < 10 || token.length > 200) return null;
    const hash = hashToken(token);
    const hit = this.cache.get(hash);
    if (hit) {
      this.cache.delete(hash);
      if (hit.until > this.now()) {
        this.cache.set(hash, hit); // most recently used now
        return hit.principal;
      }
    }
    const resolved = await this.lookup(token, hash);
    // Only hits are cached: a miss cached for 30 s refused a client token created (with
    // a brought-own token, as the demo does) right after a probe with it failed.
    if (!resolved) return null;
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    const until = Math.min(this.now() + CACHE_TTL_MS, resolved.expiresAt ?? Number.POSITIVE_INFINITY);
    this.cache.set(hash, { principal: resolved.principal, until });
    return resolved.principal;
  }

  private async lookup(token: string, hash: string): Promise<Resolved | null> {
    switch (tokenKind(token)) {
      case 'admin':
        return this.adminHash && sameHash(hash, this.adminHash) ? { principal: { kind: 'admin' } } : null;
      case null:
        // Unprefixed tokens are brought by people: ADMIN_TOKEN may be any string the operator
        // chose, and a client may be created with its own token (DEMO_CLIENT_TOKEN). Both
        // are candidates; admin first, then the clients table.
        if (this.adminHash && sameHash(hash, this.adminHash)) return { principal: { kind: 'admin' } };
        return resolved(await this.lookupClient(hash));
      case 'client':
        return resolved(await this.lookupClient(hash));
      case 'agent':
        return resolved(await this.agentTokens.resolve(hash));
      case 'session':
        return this.resolveSession(hash);
      case 'join':
        // Presented only in the body of POST /api/agents/join, never as a credential.
        return null;
    }
  }

  private async lookupClient(hash: string): Promise<Principal | null> {
    const c = await this.db.kysely
      .selectFrom('clients')
      .select(['id', 'name'])
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    return c ? { kind: 'client', clientId: c.id, clientName: c.name } : null;
  }

  private async resolveSession(hash: string): Promise<Resolved | null> {
    const s = await this.db.kysely
      .selectFrom('sessions')
      .leftJoin('clients', 'clients.id', 'sessions.client_id')
      .select(['sessions.role', 'sessions.client_id', 'sessions.expires_at', 'clients.name'])
      .where('sessions.token_hash', '=', hash)
      .executeTakeFirst();
    const expiresAt = s ? new Date(s.expires_at).getTime() : 0;
    if (!s || expiresAt <= this.now()) return null;
    if (s.role === 'admin') return { principal: { kind: 'admin' }, expiresAt };
    return s.client_id
      ? { principal: { kind: 'client', clientId: s.client_id, clientName: s.name ?? '' }, expiresAt }
      : null;
  }

  /** Dashboard sign-in: exchanges an admin or client token for a session token (cookie). */
  async createSession(principal: Principal, ttlMs: number): Promise<string> {
    if (principal.kind === 'agent') throw new Error('agents do not get sessions');
    const token = generateToken('session');
    await this.db.kysely
      .insertInto('sessions')
      .values({
        token_hash: hashToken(token),
        role: principal.kind,
        client_id: principal.kind === 'client' ? principal.clientId : null,
        expires_at: new Date(this.now() + ttlMs),
      })
      .execute();
    return token;
  }

  /** Signs a session out, here and in every replica's cache (NOTIFY). */
  async deleteSession(token: string): Promise<void> {
    const hash = hashToken(token);
    this.cache.delete(hash);
    await this.db.kysely.deleteFrom('sessions').where('token_hash', '=', hash).execute();
    await sql`SELECT pg_notify(${AUTH_REVOKED_CHANNEL}, ${hash})`.execute(this.db.kysely);
  }

  newId(): string {
    return randomUUID();
  }
}
