import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import { AgentTokenLookup } from './agent-token-lookup.ts';
import type { Principal } from './principal.ts';
import { generateToken, hashToken, sameHash, tokenKind } from './tokens.ts';

const ADMIN_HASH_KEY = 'admin_token_hash';
/** Resolved tokens are cached briefly: heartbeats at thousands per second must not each hit the DB. */
const CACHE_TTL_MS = 30_000;
const CACHE_MAX = 50_000;

export class AuthService {
  private adminHash: string | null = null;
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();
  private readonly agentTokens: AgentTokenLookup;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.agentTokens = new AgentTokenLookup(db);
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
    if (hit && hit.until > this.now()) return hit.principal;
    const principal = await this.lookup(token, hash);
    // Only hits are cached: a miss cached for 30 s refused a client token created (with
    // a brought-own token, as the demo does) right after a probe with it failed.
    if (!principal) return null;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(hash, { principal, until: this.now() + CACHE_TTL_MS });
    return principal;
  }

  private async lookup(token: string, hash: string): Promise<Principal | null> {
    switch (tokenKind(token)) {
      case 'admin':
        return this.adminHash && sameHash(hash, this.adminHash) ? { kind: 'admin' } : null;
      case null:
        // Unprefixed tokens are brought by people: ADMIN_TOKEN may be any string the operator
        // chose, and a client may be created with its own token (DEMO_CLIENT_TOKEN). Both
        // are candidates; admin first, then the clients table.
        if (this.adminHash && sameHash(hash, this.adminHash)) return { kind: 'admin' };
        return this.lookupClient(hash);
      case 'client':
        return this.lookupClient(hash);
      case 'agent':
        return this.agentTokens.resolve(hash);
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

  private async resolveSession(hash: string): Promise<Principal | null> {
    const s = await this.db.kysely
      .selectFrom('sessions')
      .leftJoin('clients', 'clients.id', 'sessions.client_id')
      .select(['sessions.role', 'sessions.client_id', 'sessions.expires_at', 'clients.name'])
      .where('sessions.token_hash', '=', hash)
      .executeTakeFirst();
    if (!s || new Date(s.expires_at).getTime() <= this.now()) return null;
    if (s.role === 'admin') return { kind: 'admin' };
    return s.client_id ? { kind: 'client', clientId: s.client_id, clientName: s.name ?? '' } : null;
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

  async deleteSession(token: string): Promise<void> {
    const hash = hashToken(token);
    this.cache.delete(hash);
    await this.db.kysely.deleteFrom('sessions').where('token_hash', '=', hash).execute();
  }

  newId(): string {
    return randomUUID();
  }
}
