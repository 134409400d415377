import type { AgentConfig, AgentView, DowntimeAnalytics, DowntimeStats } from '@spot/contract';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigEditor } from '../src/components/ConfigEditor';
import { DowntimeCard } from '../src/components/DowntimeCard';
import { Notices } from '../src/components/Notices';
import { SwitchDialog } from '../src/components/SwitchDialog';
import { SwitchHistory } from '../src/components/SwitchHistory';
import { emptyFleet, type FleetState, openSwitchOf } from '../src/store/fleet-state';
import { useFleet } from '../src/store/fleet-store';
import { applyAgents, applyEvent, applyLatestPrices, applySnapshot } from '../src/store/reducer';
import { useSync } from '../src/store/sync-store';
import { AgentsView } from '../src/views/AgentsView';
import { InstancesView } from '../src/views/InstancesView';
import { fakeFetch } from './fake-fetch';
import { AGENT, ev, instance, instEvent, switchEvent, switchView, uuid } from './fixtures';

const agent: AgentView = {
  agent_id: AGENT,
  logical_id: 'web-1',
  status: 'online',
  last_heartbeat_at: '2026-11-24T10:00:00.000Z',
  instance_type: 't3.medium',
  availability_zone: 'us-east-1a',
  region: 'us-east-1',
  cloud_instance_id: 'i-0prim',
  active_instances: 2,
  created_at: '2026-11-24T09:00:00.000Z',
};

const config: AgentConfig = {
  agent_id: AGENT,
  mode: 'observe',
  candidate_pools: [
    { instance_type: 'm5.large', availability_zone: 'us-east-1b' },
    { instance_type: 'c5.large', availability_zone: 'us-east-1c' },
    { instance_type: 'r5.large', availability_zone: 'us-east-1d' },
  ],
  min_savings_percent: 10,
  on_rebalance: 'replica',
  on_demand_fallback: false,
  elastic_ip_allocation_id: null,
  version: 3,
  updated_at: '2026-11-24T09:30:00.000Z',
};

const primary = instance({
  instance_id: uuid(800),
  status: 'RUNNING',
  role: 'PRIMARY',
  cloud_instance_id: 'i-0prim',
  instance_type: 't3.medium',
  availability_zone: 'us-east-1a',
  version: 2,
});
const replica = instance({
  instance_id: uuid(801),
  status: 'RUNNING',
  role: 'REPLICA',
  cloud_instance_id: 'i-0rep',
  instance_type: 'm5.large',
  availability_zone: 'us-east-1b',
  version: 2,
});
const zombie = instance({
  instance_id: uuid(802),
  status: 'RUNNING',
  role: 'ZOMBIE',
  cloud_instance_id: 'i-0zom',
  version: 5,
});

const series = (
  instance_type: string,
  availability_zone: string,
  price: number,
  ondemand_price: number | null = null,
) => ({
  instance_type,
  availability_zone,
  ondemand_price,
  points: [{ t: '2026-11-24T10:00:00.000Z', price }],
});

/** A fleet of one agent: primary on t3.medium (0.04 $/h), a replica, prices for two of three candidates. */
function seed(extra: Parameters<typeof applySnapshot>[1] = []): FleetState {
  let s = applyAgents(applySnapshot(emptyFleet(), [primary, replica, ...extra], null), [agent]);
  s = applyLatestPrices(s, [
    series('t3.medium', 'us-east-1a', 0.04, 0.0416),
    series('m5.large', 'us-east-1b', 0.03),
    series('c5.large', 'us-east-1c', 0.05),
  ]);
  useFleet.setState(s);
  useSync.setState({ snapshot: 'ready', snapshotError: null, link: 'connected' });
  return s;
}

const stats = (over: Partial<DowntimeStats> = {}): DowntimeStats => ({
  count: 0,
  completed: 0,
  failed: 0,
  success_rate: null,
  avg_seconds: null,
  p50_seconds: null,
  p95_seconds: null,
  min_seconds: null,
  max_seconds: null,
  ...over,
});

const conflictBody = {
  error: {
    code: 'VERSION_CONFLICT',
    message: 'the config changed since version 3 was read; reload it and apply your change again',
  },
};

beforeEach(() => {
  useFleet.setState(emptyFleet());
  useSync.setState({ snapshot: 'loading', snapshotError: null, link: 'connecting' });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('ConfigEditor', () => {
  const ui = (onChange = vi.fn()) => {
    render(<ConfigEditor agentId={AGENT} initial={config} onChange={onChange} />);
    return { onChange, form: screen.getByTestId('config-editor') };
  };

  it('edits mode, pools, threshold, fallback and Elastic IP, and saves them with the version read', async () => {
    const { calls } = fakeFetch({
      [`PUT /api/client/agents/${AGENT}/config`]: (c) => ({
        status: 200,
        body: { ...config, ...(c.body as object), version: 4, updated_at: '2026-11-24T10:10:00.000Z' },
      }),
    });
    const { onChange } = ui();
    const save = screen.getByTestId('config-save') as HTMLButtonElement;
    expect(save.disabled).toBe(true); // nothing changed yet
    fireEvent.change(screen.getByLabelText('Mode'), { target: { value: 'auto_switch' } });
    fireEvent.click(screen.getByRole('button', { name: 'Remove c5.large · us-east-1c' }));
    fireEvent.change(screen.getByLabelText('New pool instance type'), { target: { value: 'm6i.large' } });
    fireEvent.change(screen.getByLabelText('New pool availability zone'), {
      target: { value: 'us-east-1f' },
    });
    fireEvent.click(screen.getByTestId('config-add-pool'));
    // The same pool twice is refused on the spot.
    fireEvent.change(screen.getByLabelText('New pool instance type'), { target: { value: 'm5.large' } });
    fireEvent.change(screen.getByLabelText('New pool availability zone'), {
      target: { value: 'us-east-1b' },
    });
    fireEvent.click(screen.getByTestId('config-add-pool'));
    expect(screen.getByText('m5.large in us-east-1b is already a candidate.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Min savings %'), { target: { value: '15' } });
    fireEvent.change(screen.getByLabelText('On rebalance'), { target: { value: 'mark' } });
    fireEvent.click(screen.getByLabelText('On-demand fallback when no spot pool has capacity'));
    fireEvent.change(screen.getByLabelText('Elastic IP allocation id (optional)'), {
      target: { value: 'eipalloc-0abc123' },
    });
    expect(save.disabled).toBe(false);
    fireEvent.click(save);
    expect((await screen.findByTestId('config-saved')).textContent).toBe('Saved (version 4)');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toEqual({
      mode: 'auto_switch',
      candidate_pools: [
        { instance_type: 'm5.large', availability_zone: 'us-east-1b' },
        { instance_type: 'r5.large', availability_zone: 'us-east-1d' },
        { instance_type: 'm6i.large', availability_zone: 'us-east-1f' },
      ],
      min_savings_percent: 15,
      on_rebalance: 'mark',
      on_demand_fallback: true,
      elastic_ip_allocation_id: 'eipalloc-0abc123',
      version: 3,
    });
    expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ version: 4, mode: 'auto_switch' }));
    expect(screen.getByTestId('config-editor').textContent).toContain('version 4');
    expect(save.disabled).toBe(true);
  });

  it('refuses a bad Elastic IP or threshold without calling the server', () => {
    const { calls } = fakeFetch({});
    ui();
    fireEvent.change(screen.getByLabelText('Elastic IP allocation id (optional)'), {
      target: { value: 'eip-1' },
    });
    fireEvent.change(screen.getByLabelText('Min savings %'), { target: { value: '120' } });
    fireEvent.click(screen.getByTestId('config-save'));
    expect(screen.getByText('Enter a percentage from 0 to 100.')).toBeTruthy();
    expect(screen.getByText(/Enter an allocation id such as eipalloc-0abc123/)).toBeTruthy();
    expect(calls).toHaveLength(0);
  });

  it('a version conflict is said plainly, keeps what was typed, and Reload lets the typed values be saved over the newer version', async () => {
    const newer = { ...config, min_savings_percent: 25, version: 5, updated_at: '2026-11-24T10:05:00.000Z' };
    const { calls } = fakeFetch({
      [`PUT /api/client/agents/${AGENT}/config`]: (c) =>
        (c.body as { version: number }).version === 3
          ? { status: 409, body: conflictBody }
          : { status: 200, body: { ...newer, ...(c.body as object), version: 6 } },
      [`GET /api/client/agents/${AGENT}/config`]: () => ({ status: 200, body: newer }),
    });
    ui();
    fireEvent.change(screen.getByLabelText('Mode'), { target: { value: 'manual_replica' } });
    fireEvent.change(screen.getByLabelText('Elastic IP allocation id (optional)'), {
      target: { value: 'eipalloc-0fff' },
    });
    fireEvent.click(screen.getByTestId('config-save'));
    const conflict = await screen.findByTestId('config-conflict');
    expect(conflict.textContent).toContain('changed by someone else since you opened it: reload');
    expect(conflict.getAttribute('role')).toBe('alert');
    // Nothing typed is lost, and Save waits for the reload.
    expect((screen.getByLabelText('Mode') as HTMLSelectElement).value).toBe('manual_replica');
    expect((screen.getByLabelText('Elastic IP allocation id (optional)') as HTMLInputElement).value).toBe(
      'eipalloc-0fff',
    );
    expect((screen.getByTestId('config-save') as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(within(conflict).getByTestId('config-reload'));
    const reloaded = await screen.findByTestId('config-reloaded');
    expect(reloaded.textContent).toContain('Reloaded version 5');
    // Their change to a field left alone comes in; the typed fields stay typed.
    expect(screen.getByTestId('config-taken').textContent).toBe(
      'Their change, now in the form: min savings 25%.',
    );
    expect(screen.getByTestId('config-kept').textContent).toBe(
      'Yours, kept: mode manual_replica; Elastic IP eipalloc-0fff. Save applies it over version 5.',
    );
    expect((screen.getByLabelText('Mode') as HTMLSelectElement).value).toBe('manual_replica');
    expect((screen.getByLabelText('Min savings %') as HTMLInputElement).value).toBe('25');
    fireEvent.click(screen.getByTestId('config-save'));
    expect((await screen.findByTestId('config-saved')).textContent).toBe('Saved (version 6)');
    expect(
      calls.filter((c) => c.method === 'PUT').map((c) => (c.body as { version: number }).version),
    ).toEqual([3, 5]);
    expect(calls.at(-1)!.body).toMatchObject({
      mode: 'manual_replica',
      elastic_ip_allocation_id: 'eipalloc-0fff',
      min_savings_percent: 25,
    });
  });

  it('after a conflict on the same field, Reload keeps the typed value and says what theirs was', async () => {
    const newer = { ...config, mode: 'auto_switch' as const, version: 4 };
    fakeFetch({
      [`PUT /api/client/agents/${AGENT}/config`]: () => ({ status: 409, body: conflictBody }),
      [`GET /api/client/agents/${AGENT}/config`]: () => ({ status: 200, body: newer }),
    });
    ui();
    fireEvent.change(screen.getByLabelText('Mode'), { target: { value: 'manual_replica' } });
    fireEvent.click(screen.getByTestId('config-save'));
    fireEvent.click(await screen.findByTestId('config-reload'));
    expect((await screen.findByTestId('config-kept')).textContent).toBe(
      'Yours, kept: mode manual_replica (theirs: mode auto_switch). Save applies it over version 4.',
    );
    expect(screen.queryByTestId('config-taken')).toBeNull();
    expect((screen.getByLabelText('Mode') as HTMLSelectElement).value).toBe('manual_replica');
    expect(screen.getByTestId('config-editor').textContent).toContain('version 4');
  });
});

describe('SwitchDialog', () => {
  const ui = (onStarted = vi.fn(), onClose = vi.fn()) => {
    const s = seed();
    render(
      <SwitchDialog
        agent={agent}
        candidates={config.candidate_pools}
        primary={primary}
        open={openSwitchOf(s.switches, AGENT)}
        onStarted={onStarted}
        onClose={onClose}
      />,
    );
    return { onStarted, onClose };
  };
  const rowOf = (pool: string) =>
    screen.getAllByTestId('candidate-row').find((r) => r.dataset.pool === pool) as HTMLElement;

  it("lists the candidate pools with their spot price and the saving (or extra cost) against the primary's pool", () => {
    fakeFetch({});
    ui();
    expect(screen.getByTestId('switch-current').textContent).toBe(
      'Now on t3.medium · us-east-1a at $0.0400/h.',
    );
    const cheaper = rowOf('m5.large|us-east-1b');
    expect(within(cheaper).getByTestId('candidate-price').textContent).toBe('$0.0300');
    expect(within(cheaper).getByTestId('saving').textContent).toBe('saves 25.0% (−$0.0100/h)');
    const dearer = rowOf('c5.large|us-east-1c');
    expect(within(dearer).getByTestId('candidate-price').textContent).toBe('$0.0500');
    expect(within(dearer).getByTestId('saving').textContent).toBe('costs 25.0% more (+$0.0100/h)');
    expect(rowOf('r5.large|us-east-1d').textContent).toContain('no price reported');
    // The first candidate is picked to start with.
    expect((within(cheaper).getByRole('radio') as HTMLInputElement).checked).toBe(true);
  });

  it('submits the pool picked and reports the 202', async () => {
    const { calls } = fakeFetch({
      [`POST /api/client/agents/${AGENT}/switch`]: () => ({
        status: 202,
        body: { switch_id: 'sw-9', agent_id: AGENT, status: 'IN_PROGRESS', command_id: 'cmd-1' },
      }),
    });
    const { onStarted } = ui();
    fireEvent.click(within(rowOf('c5.large|us-east-1c')).getByRole('radio'));
    fireEvent.change(screen.getByLabelText('Reason (optional)'), { target: { value: 'cheaper soon' } });
    fireEvent.click(screen.getByTestId('switch-submit'));
    await waitFor(() => expect(onStarted).toHaveBeenCalled());
    expect(calls[0]!.body).toEqual({
      instance_type: 'c5.large',
      availability_zone: 'us-east-1c',
      market: 'spot',
      reason: 'cheaper soon',
    });
    expect(calls[0]!.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(onStarted.mock.calls[0]![0]).toMatchObject({ switch_id: 'sw-9' });
  });

  it('takes a pool typed freely, with its market, and quotes it against the current pool', async () => {
    const { calls } = fakeFetch({
      [`POST /api/client/agents/${AGENT}/switch`]: () => ({
        status: 202,
        body: { switch_id: 'sw-10', agent_id: AGENT, status: 'IN_PROGRESS', command_id: 'cmd-2' },
      }),
    });
    const { onStarted } = ui();
    fireEvent.change(screen.getByLabelText('Instance type'), { target: { value: 't3.medium' } });
    fireEvent.change(screen.getByLabelText('Availability zone (optional)'), {
      target: { value: 'us-east-1a' },
    });
    fireEvent.change(screen.getByLabelText('Market'), { target: { value: 'on-demand' } });
    expect(screen.getByTestId('typed-quote').textContent).toBe(
      't3.medium · us-east-1a (on-demand): $0.0416/h — costs 4.0% more (+$0.0016/h)',
    );
    fireEvent.change(screen.getByLabelText('Instance type'), { target: { value: 'not a type' } });
    fireEvent.click(screen.getByTestId('switch-submit'));
    expect(screen.getByText('Enter an EC2 instance type such as m5.large.')).toBeTruthy();
    expect(calls).toHaveLength(0);
    fireEvent.change(screen.getByLabelText('Instance type'), { target: { value: 'r6i.xlarge' } });
    fireEvent.change(screen.getByLabelText('Availability zone (optional)'), { target: { value: '' } });
    fireEvent.click(screen.getByTestId('switch-submit'));
    await waitFor(() => expect(onStarted).toHaveBeenCalled());
    expect(calls[0]!.body).toEqual({ instance_type: 'r6i.xlarge', market: 'on-demand' });
  });

  it('a 409 says plainly that a switch is in progress, and the dialog stays open', async () => {
    fakeFetch({
      [`POST /api/client/agents/${AGENT}/switch`]: () => ({
        status: 409,
        body: { error: { code: 'CONFLICT', message: 'a switch of agent web-1 is already in progress' } },
      }),
    });
    const { onStarted } = ui();
    fireEvent.click(screen.getByTestId('switch-submit'));
    const err = await screen.findByTestId('switch-error');
    expect(err.textContent).toContain('A switch of this agent is already in progress');
    expect(err.className).toContain('alert-warn');
    expect(onStarted).not.toHaveBeenCalled();
    expect(screen.getByTestId('switch-dialog')).toBeTruthy();
    expect((screen.getByTestId('switch-submit') as HTMLButtonElement).disabled).toBe(false);
  });

  it('warns up front when a switch of the agent is known to be in progress', () => {
    fakeFetch({});
    useFleet.setState(
      applyEvent(seed(), switchEvent('SWITCH_STARTED', switchView({ switch_id: 'sw-open' }), 1)),
    );
    render(
      <SwitchDialog
        agent={agent}
        candidates={config.candidate_pools}
        primary={primary}
        open={openSwitchOf(useFleet.getState().switches, AGENT)}
        onStarted={vi.fn()}
        onClose={vi.fn()}
      />,
    );
    expect(screen.getByTestId('switch-open-warning').textContent).toContain(
      'm5.large · us-east-1b is in progress',
    );
  });
});

describe('SwitchHistory', () => {
  const target = instance({
    instance_id: uuid(900),
    status: 'RUNNING',
    role: 'REPLICA',
    cloud_instance_id: 'i-0tgt',
    instance_type: 'm5.large',
    availability_zone: 'us-east-1b',
    version: 2,
  });
  const sw = switchView({
    switch_id: 'sw-live',
    to_instance_id: target.instance_id,
    requested_at: '2026-11-24T10:00:00.000Z',
  });

  it('shows a switch in progress as such until SWITCH_COMPLETED / SWITCH_FAILED arrives on the stream', async () => {
    fakeFetch({ 'GET /api/client/switches': () => ({ status: 200, body: { switches: [] } }) });
    render(<SwitchHistory agentId={AGENT} />);
    await screen.findByTestId('state-empty');

    act(() => useFleet.setState((s) => applyEvent(s, switchEvent('SWITCH_STARTED', sw, 1))));
    const row = () => screen.getByTestId('switch-row');
    expect(row().dataset.status).toBe('IN_PROGRESS');
    expect(within(row()).getByTestId('switch-status').textContent).toBe('IN PROGRESS · launching');
    expect(row().textContent).toContain('t3.medium · us-east-1a → m5.large · us-east-1b');
    expect(row().textContent).toContain('$0.0416 → $0.0350');

    // The target's PROMOTING event moves the phase shown, still in progress.
    act(() =>
      useFleet.setState((s) => applyEvent(s, instEvent({ ...target, status: 'PROMOTING', version: 3 }, 2))),
    );
    expect(within(row()).getByTestId('switch-status').textContent).toBe('IN PROGRESS · promoting');

    act(() =>
      useFleet.setState((s) =>
        applyEvent(
          s,
          switchEvent(
            'SWITCH_COMPLETED',
            {
              ...sw,
              status: 'COMPLETED',
              phase: 'completed',
              completed_at: '2026-11-24T10:00:42.000Z',
              downtime_seconds: 0.42,
            },
            3,
          ),
        ),
      ),
    );
    expect(row().dataset.status).toBe('COMPLETED');
    expect(within(row()).getByTestId('switch-status').textContent).toBe('COMPLETED');
    expect(within(row()).getByTestId('switch-downtime').textContent).toBe('0.42s');
    expect(row().textContent).toContain('42s'); // took
    // A replayed SWITCH_STARTED does not bring it back.
    act(() =>
      useFleet.setState((s) => applyEvent(s, ev('SWITCH_STARTED', sw as unknown as Record<string, unknown>))),
    );
    expect(row().dataset.status).toBe('COMPLETED');
  });

  it('pages back with Load older (before = the oldest shown)', async () => {
    const page1 = Array.from({ length: 25 }, (_, k) =>
      switchView({
        switch_id: `p1-${k}`,
        status: 'COMPLETED',
        phase: 'completed',
        requested_at: new Date(Date.parse('2026-11-24T10:00:00.000Z') - k * 60_000).toISOString(),
      }),
    );
    const older = switchView({
      switch_id: 'p2-0',
      status: 'FAILED',
      phase: 'failed',
      requested_at: '2026-11-23T10:00:00.000Z',
    });
    const seen: string[] = [];
    const { fn } = fakeFetch({
      'GET /api/client/switches': () => ({ status: 200, body: { switches: seen.length ? [older] : page1 } }),
    });
    fn.mockImplementationOnce(async (input: string) => {
      seen.push(input);
      return new Response(JSON.stringify({ switches: page1 }), { status: 200 });
    });
    render(<SwitchHistory agentId={AGENT} />);
    await waitFor(() => expect(screen.getAllByTestId('switch-row')).toHaveLength(25));
    expect(seen[0]).toBe(`/api/client/switches?agent_id=${AGENT}&limit=25`);
    fireEvent.click(screen.getByRole('button', { name: 'Load older' }));
    await waitFor(() => expect(screen.getAllByTestId('switch-row')).toHaveLength(26));
    expect(screen.getAllByTestId('switch-row').at(-1)!.dataset.switchId).toBe('p2-0');
    const before = new URL(String(fn.mock.calls[1]![0]), 'http://x').searchParams.get('before');
    expect(before).toBe(page1[24]!.requested_at);
    expect(screen.queryByRole('button', { name: 'Load older' })).toBeNull(); // a short page is the last
  });

  it('lists what the server has, newest first, with trigger and error; a failure arrives live', async () => {
    const older = switchView({
      switch_id: 'sw-old',
      trigger: 'termination_notice',
      status: 'COMPLETED',
      phase: 'completed',
      requested_at: '2026-11-24T08:00:00.000Z',
      completed_at: '2026-11-24T08:01:00.000Z',
      downtime_seconds: 3.2,
    });
    const calls = fakeFetch({
      'GET /api/client/switches': () => ({ status: 200, body: { switches: [sw, older] } }),
    }).calls;
    render(<SwitchHistory agentId={AGENT} />);
    await waitFor(() => expect(screen.getAllByTestId('switch-row')).toHaveLength(2));
    expect(calls[0]!.path).toBe('/api/client/switches');
    expect(screen.getAllByTestId('switch-row').map((r) => r.dataset.switchId)).toEqual(['sw-live', 'sw-old']);
    expect(screen.getAllByTestId('switch-row')[1]!.textContent).toContain('termination notice');
    expect(screen.getAllByTestId('switch-row')[1]!.textContent).toContain('3.2s');
    act(() =>
      useFleet.setState((s) =>
        applyEvent(
          s,
          switchEvent(
            'SWITCH_FAILED',
            {
              ...sw,
              status: 'FAILED',
              phase: 'failed',
              completed_at: '2026-11-24T10:05:00.000Z',
              error_code: 'InsufficientInstanceCapacity',
              error_message: 'no capacity',
            },
            7,
          ),
        ),
      ),
    );
    const failed = screen.getAllByTestId('switch-row')[0]!;
    expect(failed.dataset.status).toBe('FAILED');
    expect(failed.textContent).toContain('InsufficientInstanceCapacity: no capacity');
  });
});

describe('DowntimeCard', () => {
  const analytics: DowntimeAnalytics = {
    hours: 24,
    overall: stats({
      count: 5,
      completed: 4,
      failed: 1,
      success_rate: 0.8,
      avg_seconds: 1.1,
      p50_seconds: 0.6,
      p95_seconds: 3.4,
      min_seconds: 0.3,
      max_seconds: 4.25,
    }),
    by_trigger: {
      manual: stats({
        count: 3,
        completed: 3,
        success_rate: 1,
        p50_seconds: 0.5,
        p95_seconds: 0.9,
        max_seconds: 0.95,
      }),
      termination_notice: stats({
        count: 2,
        completed: 1,
        failed: 1,
        success_rate: 0.5,
        p50_seconds: 4.25,
        p95_seconds: 4.25,
        max_seconds: 4.25,
      }),
    },
  };

  it('shows overall and per-trigger count, success rate and p50 / p95 / max downtime', async () => {
    const { calls } = fakeFetch({
      'GET /api/client/analytics/downtime': () => ({ status: 200, body: analytics }),
    });
    render(<DowntimeCard />);
    const overall = await screen.findByTestId('downtime-overall');
    expect(overall.textContent).toContain('5');
    expect(overall.textContent).toContain('4 completed · 1 failed');
    expect(screen.getByTestId('downtime-success').textContent).toBe('80%');
    expect(screen.getByTestId('downtime-p50').textContent).toBe('0.60s');
    expect(screen.getByTestId('downtime-p95').textContent).toBe('3.4s');
    expect(screen.getByTestId('downtime-max').textContent).toBe('4.3s');
    const rows = screen.getAllByTestId('downtime-trigger');
    expect(rows.map((r) => r.dataset.trigger)).toEqual(['manual', 'termination_notice']);
    expect(Array.from(rows[1]!.querySelectorAll('td'), (td) => td.textContent)).toEqual([
      'termination notice',
      '2',
      '50%',
      '4.3s',
      '4.3s',
      '4.3s',
    ]);
    expect(calls[0]!.path).toBe('/api/client/analytics/downtime');
    // Another window asks again.
    fireEvent.change(screen.getByLabelText('Window'), { target: { value: '168' } });
    await waitFor(() => expect(calls).toHaveLength(2));
  });

  it('is empty without switches, and refetches when a switch ends on the stream', async () => {
    let answer: DowntimeAnalytics = { hours: 24, overall: stats(), by_trigger: {} };
    const { calls } = fakeFetch({
      'GET /api/client/analytics/downtime': () => ({ status: 200, body: answer }),
    });
    render(<DowntimeCard />);
    expect((await screen.findByTestId('state-empty')).textContent).toContain('No switches in this window');
    answer = analytics;
    const sw = switchView({ switch_id: 'sw-end' });
    act(() =>
      useFleet.setState((s) =>
        applyEvent(
          applyEvent(s, switchEvent('SWITCH_STARTED', sw, 1)),
          switchEvent(
            'SWITCH_COMPLETED',
            { ...sw, status: 'COMPLETED', phase: 'completed', downtime_seconds: 0.5 },
            2,
          ),
        ),
      ),
    );
    await screen.findByTestId('downtime-overall');
    expect(calls).toHaveLength(2);
  });

  it('shows an error state with Retry', async () => {
    fakeFetch({
      'GET /api/client/analytics/downtime': () => ({
        status: 500,
        body: { error: { code: 'INTERNAL', message: 'boom' } },
      }),
    });
    render(<DowntimeCard />);
    expect((await screen.findByTestId('state-error')).textContent).toContain('boom');
  });
});

describe('Agents view: agent detail, roles and Promote', () => {
  const routes = (extra: Parameters<typeof fakeFetch>[0] = {}) =>
    fakeFetch({
      [`GET /api/client/agents/${AGENT}/config`]: () => ({ status: 200, body: config }),
      'GET /api/client/switches': () => ({ status: 200, body: { switches: [] } }),
      'GET /api/client/analytics/downtime': () => ({
        status: 200,
        body: { hours: 24, overall: stats(), by_trigger: {} },
      }),
      ...extra,
    });

  it('opens an agent: config, instances by role with Promote on the replica, Switch with its candidate pools', async () => {
    const { calls } = routes({
      [`POST /api/client/agents/${AGENT}/switch`]: () => ({
        status: 202,
        body: { switch_id: 'sw-1', agent_id: AGENT, status: 'IN_PROGRESS', command_id: 'c' },
      }),
    });
    seed();
    render(
      <>
        <AgentsView />
        <Notices />
      </>,
    );
    expect(screen.getByTestId('agent-row').textContent).toContain('t3.medium · us-east-1a');
    fireEvent.click(screen.getByTestId('agent-open'));
    const detail = screen.getByTestId('agent-detail');
    await within(detail).findByTestId('config-editor');
    expect(within(detail).getByTestId('agent-primary').textContent).toBe(
      'primary on t3.medium · us-east-1a at $0.0400/h',
    );
    const roles = within(detail)
      .getAllByTestId('agent-instance')
      .map((r) => r.dataset.role);
    expect(roles).toEqual(['PRIMARY', 'REPLICA']);
    expect(within(detail).getAllByRole('button', { name: /^Promote/ })).toHaveLength(1);

    fireEvent.click(within(detail).getByTestId('switch-button'));
    const dialog = screen.getByTestId('switch-dialog');
    expect(
      within(dialog)
        .getAllByTestId('candidate-row')
        .map((r) => r.dataset.pool),
    ).toEqual(['m5.large|us-east-1b', 'c5.large|us-east-1c', 'r5.large|us-east-1d']);
    fireEvent.click(within(dialog).getByTestId('switch-submit'));
    await waitFor(() => expect(screen.queryByTestId('switch-dialog')).toBeNull());
    expect((await screen.findByTestId('notice')).textContent).toContain(
      'Switch of web-1 to m5.large started',
    );
    expect(calls.some((c) => c.method === 'POST' && c.path.endsWith('/switch'))).toBe(true);

    // Live: the agent row and the detail show the switch in progress until it ends.
    const sw = switchView({ switch_id: 'sw-1' });
    act(() => useFleet.setState((s) => applyEvent(s, switchEvent('SWITCH_STARTED', sw, 10))));
    expect(screen.getByTestId('agent-switch').textContent).toBe('→ m5.large · us-east-1b');
    expect(within(detail).getByTestId('agent-switching')).toBeTruthy();
    act(() =>
      useFleet.setState((s) =>
        applyEvent(
          s,
          switchEvent('SWITCH_COMPLETED', { ...sw, status: 'COMPLETED', phase: 'completed' }, 11),
        ),
      ),
    );
    expect(screen.getByTestId('agent-switch').textContent).toBe('—');
    expect(within(detail).queryByTestId('agent-switching')).toBeNull();
  });

  it('instance rows show PRIMARY / REPLICA / ZOMBIE; Promote only on the RUNNING replica; a 409 is said plainly', async () => {
    const { calls } = routes({
      [`POST /api/client/instances/${replica.instance_id}/promote`]: () => ({
        status: 409,
        body: { error: { code: 'CONFLICT', message: 'a switch of agent web-1 is already in progress' } },
      }),
    });
    seed([zombie]);
    render(<InstancesView />);
    const rows = screen.getAllByTestId('instance-row');
    const byCloud = (id: string) => rows.find((r) => r.dataset.cloudId === id)!;
    expect(rows.map((r) => r.dataset.role).sort()).toEqual(['PRIMARY', 'REPLICA', 'ZOMBIE']);
    const zombieBadge = within(byCloud('i-0zom')).getByTestId('role-badge');
    expect(zombieBadge.className).toContain('role-zombie');
    expect(zombieBadge.getAttribute('title')).toContain('former primary');
    expect(within(byCloud('i-0prim')).queryByTestId('promote-button')).toBeNull();
    expect(within(byCloud('i-0zom')).queryByTestId('promote-button')).toBeNull();
    fireEvent.click(within(byCloud('i-0rep')).getByTestId('promote-button'));
    const dialog = screen.getByTestId('promote-dialog');
    expect(dialog.textContent).toContain('i-0prim');
    fireEvent.click(within(dialog).getByTestId('promote-confirm'));
    const err = await within(dialog).findByTestId('promote-error');
    expect(err.textContent).toContain('A switch of this agent is already in progress');
    expect(calls.at(-1)!.method).toBe('POST');
    expect(calls.at(-1)!.headers['idempotency-key']).toBeTruthy();
  });

  it('Add replica posts the pool picked; Promote from the detail starts the cut-over and says so', async () => {
    const { calls } = routes({
      [`POST /api/client/agents/${AGENT}/replicas`]: () => ({
        status: 202,
        body: {
          instance_id: uuid(990),
          agent_id: AGENT,
          status: 'LAUNCHING',
          role: 'REPLICA',
          command_id: 'c1',
        },
      }),
      [`POST /api/client/instances/${replica.instance_id}/promote`]: () => ({
        status: 202,
        body: { switch_id: 'sw-p', agent_id: AGENT, status: 'IN_PROGRESS', command_id: 'c2' },
      }),
    });
    seed();
    render(
      <>
        <AgentsView />
        <Notices />
      </>,
    );
    fireEvent.click(screen.getByTestId('agent-open'));
    const detail = screen.getByTestId('agent-detail');
    await within(detail).findByTestId('config-editor');

    fireEvent.click(within(detail).getByTestId('replica-button'));
    const dialog = screen.getByTestId('replica-dialog');
    expect(within(dialog).queryByLabelText('Market')).toBeNull(); // replicas are spot
    fireEvent.click(within(dialog).getByRole('radio', { name: 'c5.large · us-east-1c' }));
    fireEvent.click(within(dialog).getByTestId('replica-submit'));
    await waitFor(() => expect(screen.queryByTestId('replica-dialog')).toBeNull());
    expect(calls.find((c) => c.path.endsWith('/replicas'))!.body).toEqual({
      instance_type: 'c5.large',
      availability_zone: 'us-east-1c',
    });

    fireEvent.click(within(detail).getByRole('button', { name: 'Promote i-0rep' }));
    fireEvent.change(screen.getByLabelText('Reason (optional)'), { target: { value: 'drill' } });
    fireEvent.click(screen.getByTestId('promote-confirm'));
    await waitFor(() => expect(screen.queryByTestId('promote-dialog')).toBeNull());
    expect(calls.find((c) => c.path.endsWith('/promote'))!.body).toEqual({ reason: 'drill' });
    const notices = screen.getAllByTestId('notice').map((n) => n.textContent);
    expect(notices.some((t) => t?.includes('Replica of web-1 in c5.large launching'))).toBe(true);
    expect(notices.some((t) => t?.includes('Promotion of i-0rep started'))).toBe(true);
  });

  it('a refused replica says why inside the dialog', async () => {
    routes({
      [`POST /api/client/agents/${AGENT}/replicas`]: () => ({
        status: 422,
        body: { error: { code: 'VALIDATION', message: 'unknown instance type' } },
      }),
    });
    seed();
    render(<AgentsView />);
    fireEvent.click(screen.getByTestId('agent-open'));
    await waitFor(() =>
      expect((screen.getByTestId('replica-button') as HTMLButtonElement).disabled).toBe(false),
    );
    fireEvent.click(screen.getByTestId('replica-button'));
    fireEvent.click(screen.getByTestId('replica-submit'));
    expect((await screen.findByTestId('replica-error')).textContent).toBe(
      'unknown instance type (VALIDATION)',
    );
    expect(screen.getByTestId('replica-dialog')).toBeTruthy();
  });

  it('a role change on INSTANCE_UPDATED shows at once: the old primary turns ZOMBIE, the replica PRIMARY', () => {
    routes();
    seed();
    render(<InstancesView />);
    act(() =>
      useFleet.setState((s) =>
        applyEvent(
          applyEvent(s, ev('INSTANCE_UPDATED', { ...primary, role: 'ZOMBIE', version: 3 }, 20)),
          ev('INSTANCE_UPDATED', { ...replica, role: 'PRIMARY', version: 3 }, 21),
        ),
      ),
    );
    const roleOf = (id: string) =>
      screen.getAllByTestId('instance-row').find((r) => r.dataset.cloudId === id)!.dataset.role;
    expect(roleOf('i-0prim')).toBe('ZOMBIE');
    expect(roleOf('i-0rep')).toBe('PRIMARY');
    expect(screen.queryAllByTestId('promote-button')).toHaveLength(0);
  });
});
