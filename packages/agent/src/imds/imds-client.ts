/**
 * A tiny IMDSv2 client. Not @aws-sdk/ec2-metadata-service: that one fetches a new token
 * before every request (STACK-NOTES), and the interruption monitor asks every 5 seconds.
 * This one caches the session token for its TTL (minus a margin) and fetches a new one when
 * IMDS answers 401 (token expired, or the metadata service restarted).
 */

export class ImdsError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ImdsClientOptions {
  /** e.g. http://169.254.169.254, or the simulator's http://127.0.0.1:N/imds/i-… */
  endpoint: string;
  tokenTtlSeconds?: number;
  requestTimeoutMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
}

export class ImdsClient {
  private readonly endpoint: string;
  private readonly ttlSeconds: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly fetchFn: typeof fetch;
  private token: { value: string; expiresAt: number } | null = null;
  private pendingToken: Promise<string> | null = null;
  /** How many tokens were fetched (tests check the cache works). */
  tokenFetches = 0;

  constructor(opts: ImdsClientOptions) {
    this.endpoint = opts.endpoint.replace(/\/+$/, '');
    this.ttlSeconds = opts.tokenTtlSeconds ?? 21_600;
    this.timeoutMs = opts.requestTimeoutMs ?? 2_000;
    this.now = opts.now ?? Date.now;
    this.fetchFn = opts.fetch ?? fetch;
  }

  /** GET /latest/<path>: the body, or null when IMDS answers 404 (no such item, e.g. no notice yet). */
  async get(path: string): Promise<string | null> {
    const clean = path.replace(/^\/+/, '');
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.getToken();
      const res = await this.request(`${this.endpoint}/latest/${clean}`, {
        headers: { 'x-aws-ec2-metadata-token': token },
      });
      if (res.status === 401 && attempt === 0) {
        await res.body?.cancel();
        this.token = null; // expired or revoked: fetch a new one and ask again, once
        continue;
      }
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new ImdsError(`IMDS GET /latest/${clean} answered ${res.status}`, res.status);
      }
      return await res.text();
    }
    throw new ImdsError(`IMDS GET /latest/${clean} refused a fresh token`, 401);
  }

  /** Like get(), for a path that must exist (identity). */
  async require(path: string): Promise<string> {
    const v = await this.get(path);
    if (v === null || v.trim() === '') throw new ImdsError(`IMDS has no ${path}`, 404);
    return v.trim();
  }

  private async getToken(): Promise<string> {
    if (this.token && this.now() < this.token.expiresAt) return this.token.value;
    // One token request at a time, shared by concurrent callers.
    this.pendingToken ??= this.fetchToken().finally(() => {
      this.pendingToken = null;
    });
    return this.pendingToken;
  }

  private async fetchToken(): Promise<string> {
    const res = await this.request(`${this.endpoint}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(this.ttlSeconds) },
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new ImdsError(`IMDS token request answered ${res.status}`, res.status);
    }
    const value = (await res.text()).trim();
    if (!value) throw new ImdsError('IMDS returned an empty token');
    this.tokenFetches++;
    // Renew a little early (10% of the TTL, at most a minute) so a request never races expiry.
    const margin = Math.min(60, this.ttlSeconds * 0.1) * 1000;
    this.token = { value, expiresAt: this.now() + this.ttlSeconds * 1000 - margin };
    return value;
  }

  private async request(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetchFn(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new ImdsError(`IMDS unreachable at ${this.endpoint}: ${(err as Error).message}`);
    }
  }
}
