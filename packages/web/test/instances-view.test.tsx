import type { AgentView } from '@spot/contract';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Notices } from '../src/components/Notices';
import { emptyFleet } from '../src/store/fleet-state';
import { useFleet } from '../src/store/fleet-store';
import { applyAgents, applyEvent, applySnapshot } from '../src/store/reducer';
import { useSync } from '../src/store/sync-store';
import { InstancesView } from '../src/views/InstancesView';
import { deferred, fakeFetch } from './fake-fetch';
import { AGENT, instance, instEvent, uuid } from './fixtures';

const agent: AgentView = {
  agent_id: AGENT,
  logical_id: 'web-1',
  status: 'online',
  last_heartbeat_at: '2026-11-24T10:00:00.000Z',
  instance_type: 't3.medium',
  availability_zone: 'us-east-1a',
  region: 'us-east-1',
  cloud_instance_id: 'i-01',
  active_instances: 0,
  created_at: '2026-11-24T09:00:00.000Z',
};

function seed(n: number) {
  const list = Array.from({ length: n }, (_, k) =>
    instance({
      instance_id: uuid(100 + k),
      status: 'RUNNING',
      cloud_instance_id: `i-${(0x1000 + k).toString(16)}`,
      version: 2,
    }),
  );
  useFleet.setState(applyAgents(applySnapshot(emptyFleet(), list, null), [agent]));
  useSync.setState({ snapshot: 'ready', snapshotError: null, link: 'connected' });
  return list;
}

const ui = () =>
  render(
    <>
      <InstancesView />
      <Notices />
    </>,
  );

beforeEach(() => {
  useFleet.setState(emptyFleet());
  useSync.setState({ snapshot: 'loading', snapshotError: null, link: 'connecting' });
});
afterEach(() => vi.unstubAllGlobals());

describe('InstancesView', () => {
  it('shows a loading state, then an empty state', () => {
    ui();
    expect(screen.getByTestId('state-loading')).toBeTruthy();
    act(() => useSync.setState({ snapshot: 'ready' }));
    expect(screen.getByTestId('state-empty').textContent).toContain('No active instances');
  });

  it('shows an error state whose Retry reloads', async () => {
    const { calls } = fakeFetch({
      'GET /api/client/instances': () => ({ status: 200, body: { instances: [] } }),
      'GET /api/client/agents': () => ({ status: 200, body: { agents: [] } }),
    });
    useSync.setState({ snapshot: 'error', snapshotError: 'the server cannot be reached' });
    ui();
    expect(screen.getByTestId('state-error').textContent).toContain('the server cannot be reached');
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(screen.getByTestId('state-empty')).toBeTruthy());
    expect(calls.map((c) => c.path)).toContain('/api/client/instances');
  });

  it('renders one row per active instance, virtualised for a large fleet', () => {
    seed(1000);
    ui();
    const rows = screen.getAllByTestId('instance-row');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(100); // only what fits in the viewport (+ overscan)
    expect(screen.getByText('1000 instances')).toBeTruthy();
    expect(within(rows[0]!).getByTestId('status-badge').textContent).toBe('RUNNING');
    expect(within(rows[0]!).getByText('web-1')).toBeTruthy();
  });

  it('filters by text and status', () => {
    seed(30);
    ui();
    fireEvent.change(screen.getByTestId('text-filter'), { target: { value: 'i-1005' } });
    expect(screen.getAllByTestId('instance-row').map((r) => r.dataset.cloudId)).toEqual(['i-1005']);
    fireEvent.change(screen.getByTestId('text-filter'), { target: { value: '' } });
    fireEvent.change(screen.getByTestId('status-filter'), { target: { value: 'FAILED' } });
    expect(screen.getByTestId('state-empty').textContent).toContain('No instance matches');
  });

  it('updates a row live when an event arrives', () => {
    const [first] = seed(3);
    ui();
    act(() =>
      useFleet.setState((s) => applyEvent(s, instEvent({ ...first!, status: 'OFFLINE', version: 3 }, 10))),
    );
    const row = screen
      .getAllByTestId('instance-row')
      .find((r) => r.dataset.instanceId === first!.instance_id)!;
    expect(row.dataset.status).toBe('OFFLINE');
  });

  it('launch dialog: submit shows LAUNCHING at once and posts with an Idempotency-Key', async () => {
    seed(0);
    const answer = deferred<{ status: number; body: unknown }>();
    const { calls } = fakeFetch({ 'POST /api/client/instances/launch': () => answer.promise });
    ui();
    fireEvent.click(screen.getByTestId('launch-button'));
    const dialog = screen.getByRole('dialog', { name: 'Launch instance' });
    fireEvent.change(within(dialog).getByLabelText('Instance type'), { target: { value: 'm5.large' } });
    fireEvent.change(within(dialog).getByLabelText('Availability zone (optional)'), {
      target: { value: 'us-east-1b' },
    });
    fireEvent.click(within(dialog).getByTestId('launch-submit'));

    expect(screen.queryByRole('dialog')).toBeNull();
    const row = screen.getByTestId('instance-row');
    expect(row.dataset.status).toBe('LAUNCHING');
    expect(within(row).getByText('m5.large')).toBeTruthy();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toEqual({
      agent_id: AGENT,
      instance_type: 'm5.large',
      availability_zone: 'us-east-1b',
      market: 'spot',
    });
    expect(calls[0]!.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);

    const id = uuid(77);
    await act(async () => {
      answer.resolve({
        status: 202,
        body: {
          instance_id: id,
          status: 'LAUNCHING',
          launch_requested_at: '2026-11-24T10:00:00.000Z',
          command_id: 'c',
        },
      });
      await answer.promise;
    });
    await waitFor(() => expect(screen.getByTestId('instance-row').dataset.instanceId).toBe(id));
    act(() =>
      useFleet.setState((s) =>
        applyEvent(
          s,
          instEvent(
            instance({ instance_id: id, instance_type: 'm5.large', status: 'RUNNING', version: 2 }),
            5,
          ),
        ),
      ),
    );
    expect(screen.getByTestId('instance-row').dataset.status).toBe('RUNNING');
  });

  it('launch dialog: refuses bad input and does not post', () => {
    seed(0);
    const { calls } = fakeFetch({});
    ui();
    fireEvent.click(screen.getByTestId('launch-button'));
    const dialog = screen.getByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText('Instance type'), { target: { value: 'not a type' } });
    fireEvent.click(within(dialog).getByTestId('launch-submit'));
    expect(within(dialog).getByText(/Enter an EC2 instance type/)).toBeTruthy();
    expect(calls).toHaveLength(0);
  });

  it('a refused launch rolls back with a clear message', async () => {
    seed(0);
    fakeFetch({
      'POST /api/client/instances/launch': () => ({
        status: 404,
        body: { error: { code: 'NOT_FOUND', message: 'agent not found' } },
      }),
    });
    ui();
    fireEvent.click(screen.getByTestId('launch-button'));
    fireEvent.click(screen.getByTestId('launch-submit'));
    expect(screen.getByTestId('instance-row').dataset.status).toBe('LAUNCHING');
    const notice = await screen.findByTestId('notice');
    expect(notice.textContent).toContain('agent not found (NOT_FOUND)');
    expect(screen.queryByTestId('instance-row')).toBeNull();
  });

  it('terminate asks for confirmation; Escape cancels, confirm shows TERMINATING at once', async () => {
    const [first] = seed(1);
    const { calls } = fakeFetch({
      [`POST /api/client/instances/${first!.instance_id}/terminate`]: () => ({
        status: 202,
        body: {
          instance_id: first!.instance_id,
          status: 'TERMINATING',
          termination_requested_at: '2026-11-24T10:00:00.000Z',
          command_id: 'c',
        },
      }),
    });
    ui();
    fireEvent.click(screen.getByRole('button', { name: `Terminate ${first!.cloud_instance_id}` }));
    const dialog = screen.getByRole('dialog', { name: 'Terminate instance?' });
    expect(document.activeElement?.textContent).toBe('Cancel'); // the safe choice has focus
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(calls).toHaveLength(0);

    fireEvent.click(screen.getByTestId('terminate-button'));
    fireEvent.click(screen.getByTestId('terminate-confirm'));
    const row = screen.getByTestId('instance-row');
    expect(row.dataset.status).toBe('TERMINATING');
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0]!.body).toEqual({ reason: 'manual' });
    expect(calls[0]!.headers['idempotency-key']).toBeTruthy();
  });

  it('a refused terminate returns the row to RUNNING and says why', async () => {
    const [first] = seed(1);
    fakeFetch({
      [`POST /api/client/instances/${first!.instance_id}/terminate`]: () => ({
        status: 409,
        body: { error: { code: 'INVALID_TRANSITION', message: 'cannot terminate from RUNNING' } },
      }),
    });
    ui();
    fireEvent.click(screen.getByTestId('terminate-button'));
    fireEvent.click(screen.getByTestId('terminate-confirm'));
    expect(screen.getByTestId('instance-row').dataset.status).toBe('TERMINATING');
    expect((await screen.findByTestId('notice')).textContent).toContain('INVALID_TRANSITION');
    expect(screen.getByTestId('instance-row').dataset.status).toBe('RUNNING');
  });

  it('dialogs keep focus inside on Tab', () => {
    seed(0);
    ui();
    fireEvent.click(screen.getByTestId('launch-button'));
    const dialog = screen.getByRole('dialog');
    const buttons = within(dialog).getAllByRole('button');
    const last = buttons.at(-1)!;
    last.focus();
    fireEvent.keyDown(dialog, { key: 'Tab' });
    expect(document.activeElement).toBe(within(dialog).getByLabelText('Agent'));
    fireEvent.keyDown(dialog, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(last);
  });
});
