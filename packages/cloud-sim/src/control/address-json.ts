import type { ElasticIp } from '../core/addresses.ts';
import { type SimClock, wallIsoExact } from '../core/clock.ts';

/**
 * The control API's view of an Elastic IP. History times are wall-clock ISO to the millisecond:
 * downtime across a cut-over is measured from them, and whole seconds would hide it.
 */
export function addressJson(a: ElasticIp, clock: SimClock) {
  return {
    allocation_id: a.allocationId,
    public_ip: a.publicIp,
    instance_id: a.association?.instanceId ?? null,
    association_id: a.association?.associationId ?? null,
    released_at: a.releasedAt !== undefined ? wallIsoExact(clock, a.releasedAt) : null,
    history: a.history.map((h) => ({ instance_id: h.instanceId, at: wallIsoExact(clock, h.at) })),
  };
}
