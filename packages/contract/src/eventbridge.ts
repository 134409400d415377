import { z } from 'zod';
import { CloudInstanceId, Timestamp } from './common.ts';

/**
 * The EC2 events EventBridge delivers (AWS documentation; DESIGN §8), accepted by
 * `POST /api/integrations/eventbridge` as a second, agent-independent source of interruption
 * signals. Authenticated by the per-client secret in `X-Spot-EventBridge-Secret` (an
 * EventBridge API destination's connection sends it as an API-key header).
 */
export const EVENTBRIDGE_SECRET_HEADER = 'x-spot-eventbridge-secret';

const Envelope = z.object({
  version: z.string().max(16).optional(),
  id: z.string().min(1).max(128),
  source: z.literal('aws.ec2'),
  account: z.string().max(32).optional(),
  time: Timestamp,
  region: z.string().max(32),
  resources: z.array(z.string().max(512)).max(50).optional(),
});

export const EventBridgeEnvelope = z.discriminatedUnion('detail-type', [
  Envelope.extend({
    'detail-type': z.literal('EC2 Spot Instance Interruption Warning'),
    detail: z.object({
      'instance-id': CloudInstanceId,
      'instance-action': z.enum(['terminate', 'stop', 'hibernate']),
    }),
  }),
  Envelope.extend({
    'detail-type': z.literal('EC2 Instance Rebalance Recommendation'),
    detail: z.object({ 'instance-id': CloudInstanceId }),
  }),
  Envelope.extend({
    'detail-type': z.literal('EC2 Instance State-change Notification'),
    detail: z.object({
      'instance-id': CloudInstanceId,
      state: z.enum(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated']),
    }),
  }),
]);
export type EventBridgeEnvelope = z.infer<typeof EventBridgeEnvelope>;

export const EventBridgeResponse = z.object({
  accepted: z
    .boolean()
    .describe('false: valid, but about nothing we manage (unknown instance, or no action)'),
  detail: z.string(),
  interruption_id: z.string().optional(),
});
export type EventBridgeResponse = z.infer<typeof EventBridgeResponse>;

export const EventBridgeSecretRequest = z.object({
  secret: z.string().regex(/^[\x21-\x7e]{24,200}$/, '24-200 printable characters'),
});
export const EventBridgeSecretResponse = z.object({ client_id: z.string(), configured: z.literal(true) });
