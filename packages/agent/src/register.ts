import type { AgentBootstrap } from '@spot/contract';
import type { Config } from './config/config.ts';
import { ConfigError } from './config/config.ts';
import type { InstanceIdentity } from './imds/identity.ts';
import type { AgentApi } from './server-client/agent-api.ts';
import { isTransient } from './server-client/http.ts';
import type { AgentState, StateStore } from './state-store/state-store.ts';
import { withRetry } from './util/backoff.ts';
import type { Logger } from './util/logger.ts';
import { AGENT_VERSION } from './version.ts';

/**
 * The agent's identity on the server. A saved identity for the same server is reused, so a
 * restart keeps its agent id and needs no client token. It registers (again) when there is
 * none, or when the state directory moved to another EC2 instance and a client token is at
 * hand (the server then adopts the new instance; same logical id → same agent id).
 */
export async function ensureRegistered(opts: {
  config: Config;
  identity: InstanceIdentity;
  store: StateStore;
  api: AgentApi;
  log: Logger;
  signal: AbortSignal;
  /** The bootstrap in IMDS user-data, if any (where a launched instance's join token is). */
  userData?: () => Promise<AgentBootstrap | null>;
}): Promise<{ state: AgentState; reused: boolean }> {
  const { config, identity, store, api, log } = opts;
  const saved = await store.loadState();
  const sameServer = saved?.server_url === config.SPOT_SERVER_URL;
  const sameHost = saved?.cloud_instance_id === identity.instanceId;
  const sameLogical = !config.SPOT_LOGICAL_ID || saved?.logical_id === config.SPOT_LOGICAL_ID;
  if (saved && sameServer && sameLogical && (sameHost || !config.SPOT_CLIENT_TOKEN)) {
    api.setIdentity(saved.agent_id, saved.agent_token);
    return { state: saved, reused: true };
  }
  // A fresh instance the product launched: join its workload with the one-time token.
  const joinToken =
    config.SPOT_JOIN_TOKEN ?? (saved ? undefined : (await opts.userData?.().catch(() => null))?.joinToken);
  if (joinToken && !(saved && sameHost)) return join(opts, joinToken);
  const clientToken = config.SPOT_CLIENT_TOKEN;
  if (!clientToken) {
    throw new ConfigError(
      'SPOT_CLIENT_TOKEN (--client-token) is required for the first registration with this server',
    );
  }
  const logicalId = config.SPOT_LOGICAL_ID ?? saved?.logical_id ?? identity.instanceId;
  const answer = await withRetry(
    () =>
      api.register(
        clientToken,
        {
          logical_id: logicalId,
          instance_type: identity.instanceType,
          availability_zone: identity.availabilityZone,
          region: identity.region,
          ...(identity.market ? { market: identity.market } : {}),
          cloud_instance_id: identity.instanceId,
          agent_version: AGENT_VERSION,
        },
        opts.signal,
      ),
    {
      retries: Number.POSITIVE_INFINITY,
      baseMs: 500,
      capMs: 30_000,
      isRetryable: isTransient,
      signal: opts.signal,
      onRetry: (err, attempt, delay) =>
        log.warn(
          { attempt, retry_in_ms: delay, err: (err as Error).message },
          'registration failed; retrying',
        ),
    },
  );
  const state: AgentState = {
    agent_id: answer.agent_id,
    agent_token: answer.agent_token,
    server_url: config.SPOT_SERVER_URL,
    logical_id: answer.logical_id,
    cloud_instance_id: identity.instanceId,
    instance_id: answer.instance_id,
  };
  await store.saveState(state);
  api.setIdentity(state.agent_id, state.agent_token);
  return { state, reused: false };
}

const retryForever = (log: Logger, signal: AbortSignal, what: string) => ({
  retries: Number.POSITIVE_INFINITY,
  baseMs: 500,
  capMs: 30_000,
  isRetryable: isTransient,
  signal,
  onRetry: (err: unknown, attempt: number, delay: number) =>
    log.warn({ attempt, retry_in_ms: delay, err: (err as Error).message }, `${what} failed; retrying`),
});

async function join(
  opts: Parameters<typeof ensureRegistered>[0],
  joinToken: string,
): Promise<{ state: AgentState; reused: boolean }> {
  const { config, identity, store, api, log } = opts;
  const answer = await withRetry(
    () =>
      api.join(
        {
          join_token: joinToken,
          cloud_instance_id: identity.instanceId,
          instance_type: identity.instanceType,
          availability_zone: identity.availabilityZone,
          agent_version: AGENT_VERSION,
        },
        opts.signal,
      ),
    retryForever(log, opts.signal, 'joining the workload'),
  );
  log.info({ logical_id: answer.logical_id, role: answer.role }, 'joined the workload');
  const state: AgentState = {
    agent_id: answer.agent_id,
    agent_token: answer.agent_token,
    server_url: config.SPOT_SERVER_URL,
    logical_id: answer.logical_id,
    cloud_instance_id: identity.instanceId,
    instance_id: answer.instance_id,
  };
  await store.saveState(state);
  api.setIdentity(state.agent_id, state.agent_token);
  return { state, reused: false };
}
