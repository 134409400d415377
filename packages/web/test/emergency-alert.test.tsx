import type { InterruptionView, StreamEvent, SwitchView } from '@spot/contract';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EmergencyAlerts } from '../src/components/EmergencyAlert';
import { emptyFleet } from '../src/store/fleet-state';
import { useFleet } from '../src/store/fleet-store';
import { applyEvent } from '../src/store/reducer';
import { HistoryView } from '../src/views/HistoryView';
import { fakeFetch } from './fake-fetch';
import { AGENT, ev, instance, instEvent, switchEvent, switchView, uuid } from './fixtures';

const INT = 'int-7';
const PRIMARY = instance({
  instance_id: uuid(700),
  status: 'RUNNING',
  role: 'PRIMARY',
  cloud_instance_id: 'i-0prim',
  version: 2,
});
const noticeData = {
  interruption_id: INT,
  kind: 'termination_notice',
  agent_id: AGENT,
  instance_id: PRIMARY.instance_id,
  cloud_instance_id: 'i-0prim',
  deadline: '2026-11-24T10:02:00.000Z',
  detected_at: '2026-11-24T10:00:00.000Z',
  action: 'terminate',
  sources: ['agent'],
};
const update = (over: Record<string, unknown>) => {
  const { action: _action, ...rest } = noticeData;
  return { ...rest, response: null, outcome: null, switch_id: null, ...over };
};

let seq = 0;
const send = (...events: StreamEvent[]) =>
  act(() => {
    for (const e of events) useFleet.setState((s) => applyEvent(s, e));
  });
const at = (e: StreamEvent, timestamp: string): StreamEvent => ({ ...e, timestamp });
const emergency = (data: Record<string, unknown>, timestamp = new Date(Date.now()).toISOString()) =>
  at(ev('EMERGENCY_EVENT', data, ++seq), timestamp);
const sw = (type: 'SWITCH_STARTED' | 'SWITCH_COMPLETED' | 'SWITCH_FAILED', v: SwitchView) =>
  switchEvent(type, v, ++seq);

const alert = () => screen.getByTestId('emergency-alert');
const response = () => screen.getByTestId('emergency-response');
const dismiss = () => screen.queryByRole('button', { name: 'Dismiss alert for i-0prim' });

beforeEach(() => {
  seq = 0;
  useFleet.setState(emptyFleet());
  vi.useFakeTimers({ now: Date.parse('2026-11-24T10:00:01.000Z') });
  send(instEvent(PRIMARY, ++seq));
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('EmergencyAlerts: notice → response → outcome', () => {
  it('a ready replica: promoting → promoted, in time; the countdown stops and the alert can go', () => {
    const replica = instance({
      instance_id: uuid(701),
      status: 'RUNNING',
      role: 'REPLICA',
      cloud_instance_id: 'i-0repl',
      version: 2,
    });
    send(instEvent(replica, ++seq));
    render(<EmergencyAlerts />);

    send(emergency(noticeData));
    expect(alert().textContent).toContain('Spot termination notice');
    expect(response().textContent).toBe('Response: responding…');
    expect(screen.getByTestId('emergency-sources').textContent).toBe(' · reported by IMDS');
    expect(screen.getByTestId('emergency-countdown').textContent).toBe('1:59 left');
    expect(dismiss()).toBeNull(); // the response is under way

    const promotion = switchView({
      switch_id: uuid(702),
      trigger: 'termination_notice',
      from_instance_id: PRIMARY.instance_id,
      to_instance_id: replica.instance_id,
    });
    send(
      sw('SWITCH_STARTED', promotion),
      instEvent({ ...replica, status: 'PROMOTING', version: 3 }, ++seq),
      emergency(update({ response: 'promoted_replica', switch_id: promotion.switch_id })),
    );
    expect(screen.getAllByTestId('emergency-alert')).toHaveLength(1);
    expect(alert().dataset.response).toBe('promoted_replica');
    expect(response().dataset.state).toBe('active');
    expect(response().textContent).toBe('Response: replica promoting');
    expect(screen.getByTestId('emergency-countdown').textContent).toBe('1:59 left');
    expect(dismiss()).toBeNull();

    act(() => vi.advanceTimersByTime(2000));
    send(
      sw('SWITCH_COMPLETED', {
        ...promotion,
        status: 'COMPLETED',
        phase: 'completed',
        completed_at: '2026-11-24T10:00:03.000Z',
        downtime_seconds: 0.4,
      }),
      emergency(
        update({
          response: 'promoted_replica',
          switch_id: promotion.switch_id,
          outcome: 'in_time',
          sources: ['agent', 'eventbridge'],
        }),
      ),
    );
    expect(screen.getAllByTestId('emergency-alert')).toHaveLength(1);
    expect(response().textContent).toBe('Response: replica promoted');
    expect(response().dataset.state).toBe('done');
    const outcome = screen.getByTestId('emergency-outcome');
    expect(outcome.textContent).toBe('in timeserving 3.0s after the notice');
    expect(alert().dataset.outcome).toBe('in_time');
    expect(screen.getByTestId('emergency-sources').textContent).toBe(' · reported by IMDS + EventBridge');
    // No more counting down, not even once the deadline has gone by.
    expect(screen.queryByTestId('emergency-countdown')).toBeNull();
    act(() => vi.advanceTimersByTime(150_000));
    expect(screen.queryByTestId('emergency-countdown')).toBeNull();

    fireEvent.click(dismiss()!);
    expect(screen.queryByTestId('emergency-alert')).toBeNull();
    // A later update for the same id does not bring it back.
    send(
      emergency(update({ response: 'promoted_replica', outcome: 'in_time', sources: ['agent', 'reclaim'] })),
    );
    expect(screen.queryByTestId('emergency-alert')).toBeNull();
  });

  it('no replica: replacement launching → up → serving, late, with how far past the deadline', () => {
    render(<EmergencyAlerts />);
    const target = instance({ instance_id: uuid(710), role: 'REPLICA', status: 'LAUNCHING', version: 1 });
    const replacement = switchView({
      switch_id: uuid(711),
      trigger: 'termination_notice',
      from_instance_id: PRIMARY.instance_id,
      to_instance_id: target.instance_id,
    });
    send(
      emergency(noticeData),
      sw('SWITCH_STARTED', replacement),
      instEvent(target, ++seq),
      emergency(update({ response: 'replacement_launched', switch_id: replacement.switch_id })),
    );
    expect(response().textContent).toBe('Response: replacement launching');

    act(() => vi.advanceTimersByTime(100_000));
    send(instEvent({ ...target, status: 'RUNNING', cloud_instance_id: 'i-0new', version: 2 }, ++seq));
    expect(response().textContent).toBe('Response: replacement up, cutting over');
    expect(dismiss()).toBeNull();

    act(() => vi.advanceTimersByTime(25_000)); // 10:02:06: the deadline has passed
    expect(screen.getByTestId('emergency-countdown').textContent).toBe('deadline passed 0:06 ago');
    expect(dismiss()).not.toBeNull(); // nothing left to count down: the operator may put it away

    send(
      sw('SWITCH_COMPLETED', {
        ...replacement,
        status: 'COMPLETED',
        phase: 'completed',
        completed_at: '2026-11-24T10:02:06.000Z',
      }),
      emergency(
        update({ response: 'replacement_launched', switch_id: replacement.switch_id, outcome: 'late' }),
      ),
    );
    expect(response().textContent).toBe('Response: replacement serving');
    expect(screen.getByTestId('emergency-outcome').textContent).toBe(
      'lateserving 2m 06s after the notice, 6.0s past the deadline',
    );
    expect(screen.queryByTestId('emergency-countdown')).toBeNull();
  });

  it('on-demand fallback; no response says why, and the outcome failed ends it', () => {
    render(<EmergencyAlerts />);
    const od = switchView({
      switch_id: uuid(720),
      trigger: 'fallback',
      from_instance_id: PRIMARY.instance_id,
    });
    send(
      emergency(noticeData),
      sw('SWITCH_STARTED', od),
      emergency(update({ response: 'on_demand_fallback', switch_id: od.switch_id })),
    );
    expect(response().textContent).toBe('Response: on-demand fallback launching');
    send(
      sw('SWITCH_FAILED', {
        ...od,
        status: 'FAILED',
        phase: 'failed',
        error_code: 'InsufficientInstanceCapacity',
      }),
    );
    expect(response().textContent).toBe('Response: on-demand fallback failed (InsufficientInstanceCapacity)');
    expect(response().dataset.state).toBe('failed');

    // Retries exhausted: the server records no further response and the outcome failed.
    send(emergency(update({ response: 'none', switch_id: od.switch_id, outcome: 'failed' })));
    expect(screen.getAllByTestId('emergency-alert')).toHaveLength(1);
    expect(response().textContent).toBe(
      'Response: no response (the emergency switch failed (InsufficientInstanceCapacity), no other way left)',
    );
    expect(screen.getByTestId('emergency-outcome').textContent).toBe('failed');
    expect(dismiss()).not.toBeNull();
  });

  it('nothing acceptable: "no response (reason)" at once, failed', () => {
    render(<EmergencyAlerts />);
    send(emergency(noticeData), emergency(update({ response: 'none', outcome: 'failed' })));
    expect(response().textContent).toBe(
      'Response: no response (no acceptable spot pool and on-demand fallback is off)',
    );
    expect(response().dataset.state).toBe('none');
    expect(screen.getByTestId('emergency-outcome').textContent).toBe('failed');
  });

  it('an update seen before the notice (after a reconnect) makes one alert, which the notice completes', () => {
    render(<EmergencyAlerts />);
    const promotion = switchView({ switch_id: uuid(730), trigger: 'termination_notice' });
    send(emergency(update({ response: 'promoted_replica', switch_id: promotion.switch_id })));
    expect(screen.getAllByTestId('emergency-alert')).toHaveLength(1);
    expect(response().textContent).toBe('Response: replica promoting');
    send(emergency({ ...noticeData, sources: ['eventbridge'] }));
    expect(screen.getAllByTestId('emergency-alert')).toHaveLength(1);
    expect(alert().textContent).toContain('AWS action: terminate');
    expect(response().textContent).toBe('Response: replica promoting');
    expect(screen.getByTestId('emergency-sources').textContent).toBe(' · reported by IMDS + EventBridge');
  });

  it('a rebalance recommendation: replica pre-warmed, or rate limited', () => {
    render(<EmergencyAlerts />);
    const rebalance = { ...update({}), kind: 'rebalance_recommendation', deadline: null };
    send(emergency(rebalance), emergency({ ...rebalance, response: 'rate_limited' }));
    expect(alert().textContent).toContain('Rebalance recommendation');
    expect(response().textContent).toBe('Response: rate limited (no replica pre-warmed)');
    expect(dismiss()).not.toBeNull();
  });
});

describe('HistoryView: interruptions', () => {
  const listed = (over: Partial<InterruptionView>): InterruptionView => ({
    interruption_id: uuid(),
    kind: 'termination_notice',
    agent_id: AGENT,
    instance_id: uuid(),
    cloud_instance_id: 'i-0old',
    action: 'terminate',
    deadline: '2026-11-24T09:02:00.000Z',
    detected_at: '2026-11-24T09:00:00.000Z',
    received_at: '2026-11-24T09:00:00.100Z',
    response: 'promoted_replica',
    outcome: 'in_time',
    sources: ['agent', 'eventbridge'],
    switch_id: uuid(),
    response_detail: null,
    serving_after_seconds: 2.5,
    responded_at: '2026-11-24T09:00:00.200Z',
    resolved_at: '2026-11-24T09:00:02.500Z',
    ...over,
  });

  it('lists response, outcome, sources and time to serving; live updates join without a reload', async () => {
    vi.useRealTimers();
    const old = listed({});
    const running = listed({
      interruption_id: INT,
      instance_id: PRIMARY.instance_id,
      cloud_instance_id: 'i-0prim',
      detected_at: '2026-11-24T10:00:00.000Z',
      deadline: '2026-11-24T10:02:00.000Z',
      response: 'replacement_launched',
      outcome: null,
      sources: ['reclaim'],
      serving_after_seconds: null,
      resolved_at: null,
    });
    fakeFetch({
      'GET /api/client/instances/terminated': () => ({ status: 200, body: { instances: [] } }),
      'GET /api/client/interruptions': () => ({ status: 200, body: { interruptions: [running, old] } }),
    });
    render(<HistoryView />);
    const table = await screen.findByRole('table', { name: 'Interruptions' });
    const rows = within(table).getAllByTestId('interruption-row');
    expect(rows.map((r) => r.dataset.interruptionId)).toEqual([INT, old.interruption_id]);
    const [live, done] = rows as [HTMLElement, HTMLElement];
    expect(within(done).getByTestId('interruption-response').textContent).toBe('replica promoted');
    expect(within(done).getByTestId('interruption-outcome').textContent).toBe('in time');
    expect(within(done).getByTestId('interruption-sources').textContent).toBe('IMDS + EventBridge');
    expect(within(done).getByTestId('interruption-serving').textContent).toBe('2.5s');
    expect(within(live).getByTestId('interruption-response').textContent).toBe('replacement launching');
    expect(within(live).getByTestId('interruption-outcome').textContent).toBe('in progress');
    expect(within(live).getByTestId('interruption-sources').textContent).toBe('reclaim');

    // The outcome arrives on the stream: the row follows it.
    send(
      at(
        ev(
          'EMERGENCY_EVENT',
          update({
            response: 'replacement_launched',
            switch_id: running.switch_id,
            outcome: 'in_time',
            sources: ['reclaim'],
          }),
          ++seq,
        ),
        '2026-11-24T10:00:41.000Z',
      ),
    );
    const row = screen.getAllByTestId('interruption-row')[0]!;
    expect(row.dataset.outcome).toBe('in_time');
    expect(within(row).getByTestId('interruption-response').textContent).toBe('replacement serving');
    expect(within(row).getByTestId('interruption-serving').textContent).toBe('41s');

    // A signal first seen live joins the list.
    send(
      emergency(
        { ...noticeData, interruption_id: 'int-new', cloud_instance_id: 'i-0fresh' },
        '2026-11-24T11:00:00.000Z',
      ),
    );
    expect(screen.getAllByTestId('interruption-row')).toHaveLength(3);
  });
});
