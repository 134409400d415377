import type { LaunchRequest } from '@spot/contract';
import { api } from '../api/endpoints';
import { ApiError, newIdempotencyKey } from '../api/http';
import { useFleet } from './fleet-store';
import { beginLaunch, beginTerminate, launchAccepted, rollback, terminateAccepted } from './reducer';

const describe = (err: unknown): string =>
  err instanceof ApiError ? `${err.message} (${err.code})` : (err as Error).message;

/**
 * Launch with instant feedback: a LAUNCHING row appears before the request leaves; the SSE
 * event confirms it; a refusal removes it and says why. Resolves to the instance id or null.
 */
export async function launchInstance(req: LaunchRequest): Promise<string | null> {
  const key = newIdempotencyKey();
  const { update } = useFleet.getState();
  update((s) =>
    beginLaunch(s, {
      key,
      agent_id: req.agent_id,
      instance_type: req.instance_type,
      availability_zone: req.availability_zone ?? null,
      at: new Date().toISOString(),
    }),
  );
  try {
    const res = await api.launch(req, key);
    update((s) => launchAccepted(s, key, res.instance_id));
    return res.instance_id;
  } catch (err) {
    update((s) => rollback(s, key, `Launch of ${req.instance_type} refused: ${describe(err)}`));
    return null;
  }
}

/** Terminate with instant feedback: TERMINATING at once, rolled back with a message if refused. */
export async function terminateInstance(instanceId: string, label: string): Promise<boolean> {
  const key = newIdempotencyKey();
  const { update } = useFleet.getState();
  update((s) => beginTerminate(s, key, instanceId, new Date().toISOString()));
  try {
    await api.terminate(instanceId, 'manual', key);
    update((s) => terminateAccepted(s, key));
    return true;
  } catch (err) {
    update((s) => rollback(s, key, `Terminate of ${label} refused: ${describe(err)}`));
    return false;
  }
}
