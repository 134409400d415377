import type { InterruptionView, StreamEvent } from '@spot/contract';
import { describe, expect, it } from 'vitest';
import { emptyFleet, type FleetState } from '../src/store/fleet-state';
import {
  canDismiss,
  describeOutcome,
  describeResponse,
  type Emergency,
  servingSeconds,
  settled,
} from '../src/store/interruptions';
import { applyEvent, applyInterruptions, dismissEmergency } from '../src/store/reducer';
import { AGENT, ev, instance, switchView, uuid } from './fixtures';

const INT = 'int-9';
const INST = uuid(901);
const SW = uuid(902);
const notice = {
  interruption_id: INT,
  kind: 'termination_notice',
  agent_id: AGENT,
  instance_id: INST,
  cloud_instance_id: 'i-0dead',
  deadline: '2026-11-24T10:02:00.000Z',
  detected_at: '2026-11-24T10:00:00.000Z',
  action: 'terminate',
  sources: ['agent'],
};
/** What the server sends as the response proceeds (EmergencyResponder.publish: no `action`). */
const update = (over: Record<string, unknown>) => {
  const { action: _action, ...rest } = notice;
  return { ...rest, response: null, outcome: null, switch_id: null, ...over };
};
const at = (e: StreamEvent, timestamp: string): StreamEvent => ({ ...e, timestamp });
const emergency = (s: FleetState) => s.emergencies[INT] as Emergency;

function listed(over: Partial<InterruptionView> = {}): InterruptionView {
  const v: InterruptionView = {
    interruption_id: INT,
    kind: 'termination_notice',
    agent_id: AGENT,
    instance_id: INST,
    cloud_instance_id: 'i-0dead',
    action: 'terminate',
    deadline: notice.deadline,
    detected_at: notice.detected_at,
    received_at: notice.detected_at,
    response: null,
    outcome: null,
    sources: ['agent'],
    switch_id: null,
    serving_after_seconds: null,
    responded_at: null,
    resolved_at: null,
  };
  return { ...v, ...over };
}

describe('EMERGENCY_EVENT updates merge into one record per interruption id', () => {
  it('notice → response → outcome: one alert, each update merged, the notice fields kept', () => {
    let s = applyEvent(emptyFleet(), at(ev('EMERGENCY_EVENT', notice, 1), '2026-11-24T10:00:00.500Z'));
    expect(emergency(s)).toMatchObject({
      response: null,
      outcome: null,
      sources: ['agent'],
      action: 'terminate',
    });
    s = applyEvent(
      s,
      at(
        ev('EMERGENCY_EVENT', update({ response: 'promoted_replica', switch_id: SW }), 3),
        '2026-11-24T10:00:00.600Z',
      ),
    );
    expect(emergency(s)).toMatchObject({
      response: 'promoted_replica',
      switch_id: SW,
      outcome: null,
      action: 'terminate', // the update does not carry it: kept
      responded_at: '2026-11-24T10:00:00.600Z',
    });
    s = applyEvent(
      s,
      at(
        ev(
          'EMERGENCY_EVENT',
          update({
            response: 'promoted_replica',
            switch_id: SW,
            outcome: 'in_time',
            sources: ['agent', 'eventbridge'],
          }),
          7,
        ),
        '2026-11-24T10:00:04.000Z',
      ),
    );
    expect(Object.keys(s.emergencies)).toEqual([INT]);
    expect(emergency(s)).toMatchObject({
      kind: 'termination_notice',
      cloud_instance_id: 'i-0dead',
      deadline: notice.deadline,
      response: 'promoted_replica',
      outcome: 'in_time',
      sources: ['agent', 'eventbridge'],
      responded_at: '2026-11-24T10:00:00.600Z',
      resolved_at: '2026-11-24T10:00:04.000Z',
    });
    expect(s.activity.map((a) => a.text)).toEqual([
      'termination notice for i-0dead: in time · serving 4.0s after the notice',
      'termination notice for i-0dead: replica promoted',
      'termination notice for i-0dead',
    ]);
  });

  it('an update arriving before the notice event (after a reconnect) is still one alert', () => {
    // The first thing we hear is the response (the notice went by while we were away).
    let s = applyEvent(
      emptyFleet(),
      ev('EMERGENCY_EVENT', update({ response: 'replacement_launched', switch_id: SW }), 12),
    );
    expect(Object.keys(s.emergencies)).toEqual([INT]);
    expect(emergency(s)).toMatchObject({ response: 'replacement_launched', cloud_instance_id: 'i-0dead' });
    // The notice replayed below the resume point changes nothing.
    expect(applyEvent(s, ev('EMERGENCY_EVENT', notice, 4))).toBe(s);
    // The notice delivered after it (a later seq) fills in what the update lacked, erases nothing.
    s = applyEvent(s, ev('EMERGENCY_EVENT', { ...notice, sources: ['eventbridge'] }, 13));
    expect(Object.keys(s.emergencies)).toEqual([INT]);
    expect(emergency(s)).toMatchObject({
      response: 'replacement_launched',
      switch_id: SW,
      action: 'terminate',
      sources: ['agent', 'eventbridge'],
    });
    // The snapshot's listing, loaded after the stream opened, merges into the same record.
    s = applyInterruptions(s, [listed({ response: 'replacement_launched', switch_id: SW })]);
    expect(Object.keys(s.emergencies)).toEqual([INT]);
  });

  it('a repeated update changes nothing (no new activity); an outcome never goes back', () => {
    let s = applyEvent(emptyFleet(), ev('EMERGENCY_EVENT', notice, 1));
    const done = update({ response: 'promoted_replica', switch_id: SW, outcome: 'late' });
    s = applyEvent(s, ev('EMERGENCY_EVENT', done, 2));
    const again = applyEvent(s, ev('EMERGENCY_EVENT', done, 3));
    expect(again.emergencies).toBe(s.emergencies);
    expect(again.activity).toBe(s.activity);
    const stale = applyEvent(
      s,
      ev('EMERGENCY_EVENT', update({ response: 'promoted_replica', switch_id: SW }), 4),
    );
    expect(emergency(stale).outcome).toBe('late');
  });

  it('a failed switch retried elsewhere: the new response and switch replace the old ones', () => {
    let s = applyEvent(
      emptyFleet(),
      ev('EMERGENCY_EVENT', update({ response: 'promoted_replica', switch_id: SW }), 1),
    );
    const retry = uuid(903);
    s = applyEvent(
      s,
      ev('EMERGENCY_EVENT', update({ response: 'replacement_launched', switch_id: retry }), 2),
    );
    expect(emergency(s)).toMatchObject({ response: 'replacement_launched', switch_id: retry });
  });

  it('the listing wins only when further along; its measured figures always fill in', () => {
    const held = applyEvent(
      emptyFleet(),
      ev('EMERGENCY_EVENT', update({ response: 'promoted_replica', switch_id: SW }), 1),
    );
    // Behind the stream (requested before the response): keeps the response.
    expect(emergency(applyInterruptions(held, [listed()])).response).toBe('promoted_replica');
    // Ahead of it (events lost in a fresh start): its outcome and figures are taken.
    const ahead = applyInterruptions(held, [
      listed({
        response: 'promoted_replica',
        switch_id: SW,
        outcome: 'in_time',
        serving_after_seconds: 3.4,
        resolved_at: '2026-11-24T10:00:03.400Z',
        sources: ['eventbridge', 'agent'],
      }),
    ]);
    expect(emergency(ahead)).toMatchObject({
      outcome: 'in_time',
      serving_after_seconds: 3.4,
      resolved_at: '2026-11-24T10:00:03.400Z',
      sources: ['agent', 'eventbridge'],
    });
    expect(servingSeconds(emergency(ahead), undefined)).toBe(3.4);
    // An outcome the stream brought is not undone by an older listing.
    const ended = applyEvent(
      held,
      ev('EMERGENCY_EVENT', update({ response: 'promoted_replica', switch_id: SW, outcome: 'failed' }), 2),
    );
    expect(emergency(applyInterruptions(ended, [listed({ response: 'promoted_replica' })])).outcome).toBe(
      'failed',
    );
    // The listing fills in what the updates lack (the action); the same listing again changes nothing.
    const same = listed({ response: 'promoted_replica', switch_id: SW, outcome: 'failed' });
    const once = applyInterruptions(ended, [same]);
    expect(emergency(once).action).toBe('terminate');
    expect(applyInterruptions(once, [same])).toBe(once);
  });

  it('a dismissed alert keeps its record, takes later updates, and does not come back', () => {
    let s = applyEvent(
      emptyFleet(),
      ev('EMERGENCY_EVENT', update({ response: 'promoted_replica', switch_id: SW, outcome: 'in_time' }), 1),
    );
    s = dismissEmergency(s, INT);
    expect(s.dismissed).toEqual({ [INT]: true });
    s = applyEvent(s, ev('EMERGENCY_EVENT', update({ sources: ['agent', 'eventbridge'] }), 2));
    s = applyInterruptions(s, [listed({ outcome: 'in_time', serving_after_seconds: 2 })]);
    expect(s.dismissed[INT]).toBe(true);
    expect(emergency(s)).toMatchObject({
      outcome: 'in_time',
      serving_after_seconds: 2,
      sources: ['agent', 'eventbridge'],
    });
  });
});

describe('describeResponse: the response as it proceeds', () => {
  const base = (over: Partial<Emergency> = {}): Emergency => ({
    ...(applyEvent(emptyFleet(), ev('EMERGENCY_EVENT', notice, 1)).emergencies[INT] as Emergency),
    ...over,
  });
  const replica = instance({ instance_id: uuid(904), role: 'REPLICA', status: 'PROMOTING' });

  it("gives the server's reason for no response when it sent one, and keeps it across updates", () => {
    const e = base({
      response: 'none',
      response_detail: 'no acceptable spot pool and on-demand fallback is off',
    });
    expect(describeResponse(e)).toEqual({
      state: 'none',
      text: 'no response (no acceptable spot pool and on-demand fallback is off)',
    });
    const merged = applyEvent(
      applyEvent(
        emptyFleet(),
        ev('EMERGENCY_EVENT', { ...notice, response: 'none', response_detail: 'because' }, 1),
      ),
      ev('EMERGENCY_EVENT', { ...notice, outcome: 'failed' }, 2),
    ).emergencies[INT] as Emergency;
    expect(merged.response_detail).toBe('because');
  });

  it('replica promoting → promoted, following the switch', () => {
    const e = base({ response: 'promoted_replica', switch_id: SW });
    const sw = switchView({
      switch_id: SW,
      trigger: 'termination_notice',
      to_instance_id: replica.instance_id,
    });
    expect(describeResponse(base())).toEqual({ state: 'waiting', text: 'responding…' });
    expect(describeResponse(e, { sw, target: replica })).toEqual({
      state: 'active',
      text: 'replica promoting',
    });
    expect(describeResponse(e, { sw: { ...sw, status: 'COMPLETED' } })).toEqual({
      state: 'done',
      text: 'replica promoted',
    });
    expect(describeResponse(e, { sw: { ...sw, status: 'FAILED', error_code: 'PromoteFailed' } })).toEqual({
      state: 'failed',
      text: 'replica promotion failed (PromoteFailed)',
    });
  });

  it('replacement launching → up → serving, from the target instance and the switch', () => {
    const e = base({ response: 'replacement_launched', switch_id: SW });
    const sw = switchView({ switch_id: SW, to_instance_id: uuid(905) });
    const target = instance({ instance_id: uuid(905), role: 'REPLICA', status: 'LAUNCHING' });
    expect(describeResponse(e, { sw, target }).text).toBe('replacement launching');
    expect(describeResponse(e, { sw, target: { ...target, status: 'RUNNING' } }).text).toBe(
      'replacement up, cutting over',
    );
    expect(describeResponse(e, { sw, target: { ...target, status: 'FAILED' } })).toEqual({
      state: 'failed',
      text: 'replacement failed to launch',
    });
    expect(describeResponse({ ...e, outcome: 'in_time' }, { sw }).text).toBe('replacement serving');
    expect(describeResponse({ ...e, response: 'on_demand_fallback' }, { sw, target }).text).toBe(
      'on-demand fallback launching',
    );
  });

  it('no response says why, as far as the client can tell', () => {
    const none = base({ response: 'none', outcome: 'failed' });
    expect(describeResponse(none, { instance: instance({ instance_id: INST, role: 'PRIMARY' }) })).toEqual({
      state: 'none',
      text: 'no response (no acceptable spot pool and on-demand fallback is off)',
    });
    expect(describeResponse(none, { instance: instance({ instance_id: INST, role: 'ZOMBIE' }) }).text).toBe(
      'no response (a former primary, being retired anyway)',
    );
    expect(describeResponse(base({ instance_id: null })).text).toBe(
      'no response (not an instance the product manages)',
    );
    const other = switchView({ from_instance_id: uuid(906), requested_at: '2026-11-24T09:59:50.000Z' });
    const toThis = switchView({ to_instance_id: INST, status: 'FAILED', error_code: 'TargetInterrupted' });
    expect(describeResponse(none, { agentSwitches: [toThis] }).text).toBe(
      'no response (the switch promoting this replica was stopped: it is going away too)',
    );
    expect(describeResponse(none, { agentSwitches: [other] }).text).toBe(
      'no response (another switch of this workload was in progress)',
    );
  });

  it('outcome with the time from notice to serving; settled alerts can be dismissed', () => {
    const sw = switchView({ switch_id: SW, status: 'COMPLETED', completed_at: '2026-11-24T10:02:10.000Z' });
    const late = base({ response: 'replacement_launched', switch_id: SW, outcome: 'late' });
    expect(describeOutcome(late, sw)).toBe('late · serving 2m 10s after the notice, 10s past the deadline');
    expect(describeOutcome(base({ outcome: 'failed' }), undefined)).toBe('failed');
    const deadline = Date.parse(notice.deadline);
    const running = base({ response: 'promoted_replica', switch_id: SW });
    expect(settled(running)).toBe(false);
    expect(canDismiss(running, deadline - 1000)).toBe(false);
    expect(canDismiss(running, deadline + 1000)).toBe(true);
    expect(canDismiss({ ...running, outcome: 'in_time' }, deadline - 1000)).toBe(true);
    expect(canDismiss(base({ response: 'none' }), deadline - 1000)).toBe(true);
  });
});
