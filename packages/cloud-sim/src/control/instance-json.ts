import { type SimClock, wallIsoMillis } from '../core/clock.ts';
import { type SimInstance, stateAt, stateReasonAt } from '../core/instance.ts';
import type { Simulator } from '../core/simulator.ts';

const iso = (clock: SimClock, ms: number | undefined, now: number) =>
  ms !== undefined && ms <= now ? wallIsoMillis(clock, ms) : null;

/**
 * The control API's view of an instance (snake_case JSON, times as wall-clock ISO strings; `now` is
 * simulated).
 */
export function instanceJson(sim: Simulator, inst: SimInstance, baseUrl: string, now = sim.now()) {
  const clock = sim.clock;
  return {
    instance_id: inst.id,
    state: stateAt(inst, now),
    instance_type: inst.instanceType,
    availability_zone: inst.az,
    market: inst.market,
    launch_time: wallIsoMillis(clock, inst.launchTime),
    client_token: inst.clientToken ?? null,
    tags: Object.fromEntries(inst.tags),
    imds_endpoint: `${baseUrl}/imds/${inst.id}`,
    state_reason: stateReasonAt(inst, now) ?? null,
    private_ip: inst.privateIp,
    public_ip: sim.addresses.publicIpOf(inst.id) ?? null,
    user_data: inst.userData?.text ?? null,
    max_price: inst.maxPrice ?? null,
    // Only what has already happened: the simulator does not reveal a planned interruption early.
    rebalance_time: iso(clock, inst.rebalanceAt, now),
    interruption_notice_time: iso(clock, inst.noticeAt, now),
    instance_action_time:
      inst.noticeAt !== undefined && inst.noticeAt <= now
        ? iso(clock, inst.actionTime, Number.POSITIVE_INFINITY)
        : null,
  };
}
