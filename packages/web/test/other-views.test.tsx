import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EmergencyAlerts } from '../src/components/EmergencyAlert';
import { emptyFleet } from '../src/store/fleet-state';
import { useFleet } from '../src/store/fleet-store';
import { applyEvent } from '../src/store/reducer';
import { useSession } from '../src/store/session-store';
import { HistoryView } from '../src/views/HistoryView';
import { LoginView } from '../src/views/LoginView';
import { fakeFetch } from './fake-fetch';
import { AGENT, ev, instance, instEvent, uuid } from './fixtures';

beforeEach(() => useFleet.setState(emptyFleet()));
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('EmergencyAlerts', () => {
  const notice = (deadline: string | null, kind = 'termination_notice') =>
    ev(
      'EMERGENCY_EVENT',
      {
        interruption_id: 'int-1',
        kind,
        agent_id: AGENT,
        instance_id: null,
        cloud_instance_id: 'i-0abc',
        deadline,
        detected_at: '2026-11-24T10:00:00.000Z',
        action: 'terminate',
      },
      1,
    );

  it('counts down to the deadline every second, then says it passed', () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-24T10:00:30.000Z') });
    render(<EmergencyAlerts />);
    expect(screen.queryByTestId('emergency-alert')).toBeNull();
    act(() => useFleet.setState((s) => applyEvent(s, notice('2026-11-24T10:02:00.000Z'))));
    const alert = screen.getByTestId('emergency-alert');
    expect(alert.textContent).toContain('Spot termination notice');
    expect(alert.textContent).toContain('i-0abc');
    expect(screen.getByTestId('emergency-countdown').textContent).toBe('1:30 left');
    act(() => vi.advanceTimersByTime(1000));
    expect(screen.getByTestId('emergency-countdown').textContent).toBe('1:29 left');
    act(() => vi.advanceTimersByTime(95_000));
    expect(screen.getByTestId('emergency-countdown').textContent).toBe('deadline passed 0:06 ago');
  });

  it('a rebalance recommendation has no deadline; the alert can be dismissed', () => {
    render(<EmergencyAlerts />);
    act(() => useFleet.setState((s) => applyEvent(s, notice(null, 'rebalance_recommendation'))));
    expect(screen.getByTestId('emergency-alert').textContent).toContain('Rebalance recommendation');
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss alert for i-0abc' }));
    expect(screen.queryByTestId('emergency-alert')).toBeNull();
  });
});

describe('HistoryView', () => {
  const done = instance({
    instance_id: uuid(300),
    status: 'TERMINATED',
    cloud_instance_id: 'i-0aaa',
    launch_requested_at: '2026-11-24T10:00:00.000Z',
    launch_confirmed_at: '2026-11-24T10:00:40.000Z',
    launch_duration_seconds: 40,
    termination_requested_at: '2026-11-24T11:00:00.000Z',
    termination_confirmed_at: '2026-11-24T11:00:20.000Z',
    termination_duration_seconds: 20,
    termination_reason: 'manual',
    status_changed_at: '2026-11-24T11:00:20.000Z',
    version: 4,
  });

  it('lists terminated instances with run length and reason, and shows a timeline on demand', async () => {
    fakeFetch({
      'GET /api/client/instances/terminated': () => ({ status: 200, body: { instances: [done] } }),
      [`GET /api/client/instances/${done.instance_id}/history`]: () => ({
        status: 200,
        body: {
          events: [
            {
              event_id: 1,
              instance_id: done.instance_id,
              event_type: 'LAUNCH_REQUESTED',
              from_status: null,
              to_status: 'LAUNCHING',
              source: 'operator',
              reason: 'manual',
              confirmation_method: null,
              cloud_instance_id: null,
              metadata: null,
              created_at: '2026-11-24T10:00:00.000Z',
            },
            {
              event_id: 2,
              instance_id: done.instance_id,
              event_type: 'LAUNCH_CONFIRMED',
              from_status: 'LAUNCHING',
              to_status: 'RUNNING',
              source: 'agent',
              reason: null,
              confirmation_method: 'agent_aws_poll',
              cloud_instance_id: 'i-0aaa',
              metadata: null,
              created_at: '2026-11-24T10:00:40.000Z',
            },
          ],
        },
      }),
    });
    render(<HistoryView />);
    const row = await screen.findByTestId('history-row');
    expect(row.textContent).toContain('i-0aaa');
    expect(row.textContent).toContain('59m 40s'); // ran from confirmed launch (10:00:40) to confirmed termination (11:00:20)
    expect(row.textContent).toContain('manual');
    fireEvent.click(within(row).getByRole('button', { name: 'i-0aaa' }));
    const timeline = await screen.findByTestId('timeline');
    expect(timeline.textContent).toContain('launch requested');
    expect(timeline.textContent).toContain('via agent_aws_poll');
  });

  it('an instance terminated live joins the list without a reload', async () => {
    fakeFetch({ 'GET /api/client/instances/terminated': () => ({ status: 200, body: { instances: [] } }) });
    render(<HistoryView />);
    await screen.findByTestId('state-empty');
    act(() => useFleet.setState((s) => applyEvent(s, instEvent(done, 9))));
    expect(screen.getByTestId('history-row').dataset.instanceId).toBe(done.instance_id);
  });

  it('shows an error state when the list cannot load', async () => {
    fakeFetch({
      'GET /api/client/instances/terminated': () => ({
        status: 500,
        body: { error: { code: 'INTERNAL', message: 'boom' } },
      }),
      'GET /api/client/interruptions': () => ({ status: 200, body: { interruptions: [] } }),
    });
    render(<HistoryView />);
    expect((await screen.findByTestId('state-error')).textContent).toContain('boom');
  });
});

describe('LoginView and session', () => {
  beforeEach(() =>
    useSession.setState({ phase: 'signed-out', session: null, clientId: null, clients: [], error: null }),
  );

  it('a refused token says so; a client token signs in', async () => {
    const { calls } = fakeFetch({
      'POST /api/auth/login': (c) =>
        (c.body as { token: string }).token === 'good-token-123'
          ? { status: 200, body: { role: 'client', client_id: 'c1', client_name: 'acme' } }
          : { status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'unknown token' } } },
    });
    render(<LoginView />);
    fireEvent.change(screen.getByLabelText('Access token'), { target: { value: 'wrong-token-123' } });
    fireEvent.click(screen.getByTestId('sign-in'));
    expect((await screen.findByTestId('login-error')).textContent).toBe('That token was not accepted.');
    fireEvent.change(screen.getByLabelText('Access token'), { target: { value: 'good-token-123' } });
    fireEvent.click(screen.getByTestId('sign-in'));
    await waitFor(() => expect(useSession.getState().phase).toBe('signed-in'));
    expect(useSession.getState().clientId).toBe('c1');
    expect(calls.every((c) => !c.path.includes('token'))).toBe(true); // never in a URL
  });

  it('an admin picks a client, and client calls then carry X-Client-Id', async () => {
    const { calls } = fakeFetch({
      'POST /api/auth/login': () => ({
        status: 200,
        body: { role: 'admin', client_id: null, client_name: null },
      }),
      'GET /api/admin/clients': () => ({
        status: 200,
        body: {
          clients: [
            { id: 'c-a', name: 'a', created_at: '2026-11-24T10:00:00.000Z' },
            { id: 'c-b', name: 'b', created_at: '2026-11-24T10:00:00.000Z' },
          ],
        },
      }),
      'GET /api/client/agents': () => ({ status: 200, body: { agents: [] } }),
    });
    await useSession.getState().signIn('admin-token-123456');
    expect(useSession.getState()).toMatchObject({ phase: 'signed-in', clientId: 'c-a' });
    useSession.getState().pickClient('c-b');
    const { api } = await import('../src/api/endpoints');
    await api.agents();
    expect(calls.at(-1)!.headers['x-client-id']).toBe('c-b');
    useSession.getState().pickClient('not-a-client');
    expect(useSession.getState().clientId).toBe('c-b');
  });
});
