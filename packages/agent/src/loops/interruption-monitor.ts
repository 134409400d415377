import type { InstanceIdentity } from '../imds/identity.ts';
import type { ImdsClient } from '../imds/imds-client.ts';
import { InstanceAction, parseSignal, RebalanceRecommendation } from '../imds/signals.ts';
import type { Report } from '../server-client/agent-api.ts';
import type { Logger } from '../util/logger.ts';

/**
 * Every 5 s: IMDS spot/instance-action (the 2-minute termination notice) and
 * events/recommendations/rebalance (the early warning). Each distinct signal is reported
 * once, through the outbox (so a notice raised while the server is down still arrives).
 */
export function interruptionTask(opts: {
  imds: ImdsClient;
  identity: InstanceIdentity;
  ownInstanceId: () => string | null;
  report: (r: Report) => Promise<unknown>;
  log: Logger;
}) {
  const seen = new Set<string>();
  return async () => {
    const detectedAt = new Date().toISOString();
    const [actionBody, rebalanceBody] = await Promise.all([
      opts.imds.get('meta-data/spot/instance-action'),
      opts.imds.get('meta-data/events/recommendations/rebalance'),
    ]);
    const instanceId = opts.ownInstanceId();
    const action = parseSignal(InstanceAction, actionBody);
    if (action instanceof Error)
      opts.log.warn({ err: action.message }, 'ignoring a malformed spot/instance-action');
    else if (action) {
      const key = `action:${action.action}:${action.time}`;
      if (!seen.has(key)) {
        seen.add(key);
        opts.log.warn({ action: action.action, time: action.time }, 'spot termination notice');
        await opts.report({
          kind: 'termination-notice',
          body: {
            cloud_instance_id: opts.identity.instanceId,
            ...(instanceId ? { instance_id: instanceId } : {}),
            action: action.action,
            time: action.time,
            detected_at: detectedAt,
          },
        });
      }
    }
    const rebalance = parseSignal(RebalanceRecommendation, rebalanceBody);
    if (rebalance instanceof Error)
      opts.log.warn({ err: rebalance.message }, 'ignoring a malformed rebalance recommendation');
    else if (rebalance) {
      const key = `rebalance:${rebalance.noticeTime}`;
      if (!seen.has(key)) {
        seen.add(key);
        opts.log.warn({ notice_time: rebalance.noticeTime }, 'rebalance recommendation');
        await opts.report({
          kind: 'rebalance-notice',
          body: {
            cloud_instance_id: opts.identity.instanceId,
            ...(instanceId ? { instance_id: instanceId } : {}),
            notice_time: rebalance.noticeTime,
            detected_at: detectedAt,
          },
        });
      }
    }
  };
}
