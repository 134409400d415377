import type { AgentSavingsRow, SavingsResponse } from '@spot/contract';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentSavingsCard } from '../src/components/AgentSavingsCard';
import { AgentSavingsTable } from '../src/components/AgentSavingsTable';
import { DecisionsFeed } from '../src/components/DecisionsFeed';
import { emptyFleet } from '../src/store/fleet-state';
import { useFleet } from '../src/store/fleet-store';
import { applyEvent } from '../src/store/reducer';
import { PricesView } from '../src/views/PricesView';
import { fakeFetch } from './fake-fetch';
import { AGENT, decision, ev, uuid } from './fixtures';

beforeEach(() => useFleet.setState(emptyFleet()));
afterEach(() => vi.unstubAllGlobals());

const figures = {
  currency: 'USD' as const,
  window_hours: 720,
  window_start: '2026-10-25T10:00:00.000Z',
  since: '2026-11-24T07:00:00.000Z',
  total_spot_cost: 0.1,
  total_ondemand_cost: 0.3,
  total_savings: 0.2,
  savings_pct: 66.67,
  current_spend_per_hour: 0.02,
  current_saving_per_hour: 0.05,
  monthly_projection: 36.5,
  yearly_projection: 438,
  unknown_ondemand: [],
  unknown_spot_price: [],
};

function agentRow(over: Partial<AgentSavingsRow> = {}): AgentSavingsRow {
  return {
    agent_id: uuid(),
    logical_id: 'web-a',
    ...figures,
    replica_roi: {
      replica_cost: 0.5,
      promotions: 1,
      promotions_unmeasured: 0,
      boot_seconds: 90,
      downtime_avoided_seconds: 88,
      downtime_usd_per_hour: 100,
      value_of_downtime_avoided: 2.4444,
      net: 1.9444,
      roi: 3.8889,
      break_even_usd_per_hour: 20.45,
    },
    ...over,
  };
}

describe('AgentSavingsTable', () => {
  it('shows each agent: saving now, saved so far, monthly projection and replica ROI with break-even', async () => {
    const a = agentRow();
    const b = agentRow({
      logical_id: 'web-b',
      total_savings: 0,
      current_saving_per_hour: 0,
      monthly_projection: 0,
      unknown_ondemand: [
        { instance_type: 'x9.huge', region: 'eu-west-1', market: 'spot', hours: 3, spend: 0.9 },
      ],
      replica_roi: {
        ...agentRow().replica_roi,
        replica_cost: 0,
        promotions: 0,
        roi: null,
        net: 0,
        break_even_usd_per_hour: null,
      },
    });
    const { calls } = fakeFetch({
      'GET /api/client/savings/agents': () => ({ status: 200, body: { agents: [b, a] } }),
    });
    render(<AgentSavingsTable />);
    const rows = await screen.findAllByTestId('agent-savings-row');
    expect(calls[0]!.path).toBe('/api/client/savings/agents');
    // Most saved first.
    expect(rows.map((r) => r.getAttribute('data-agent'))).toEqual([a.agent_id, b.agent_id]);
    const first = within(rows[0]!);
    expect(first.getByText('$0.0500/h')).toBeTruthy();
    expect(first.getByText('$0.2000')).toBeTruthy();
    expect(first.getByText('$36.50')).toBeTruthy();
    expect(first.getByTestId('agent-roi').textContent).toBe('+389% · break-even $20.45/h');
    expect(first.getByTestId('agent-roi').getAttribute('title')).toContain('avoided 88 s of downtime');
    const second = within(rows[1]!);
    expect(second.getByTestId('agent-roi').textContent).toBe('no replicas');
    expect(second.getByTestId('agent-savings-unknown').textContent).toContain(
      'no on-demand price for x9.huge in eu-west-1 (spend counted, not compared)',
    );
  });

  it('says when a replica price is unknown, and offers a retry when the request fails', async () => {
    let fail = true;
    fakeFetch({
      'GET /api/client/savings/agents': () =>
        fail
          ? { status: 500, body: { error: { code: 'INTERNAL', message: 'boom' } } }
          : {
              status: 200,
              body: {
                agents: [
                  agentRow({ replica_roi: { ...agentRow().replica_roi, replica_cost: null, roi: null } }),
                ],
              },
            },
    });
    render(<AgentSavingsTable />);
    const retry = await screen.findByRole('button', { name: /retry/i });
    fail = false;
    act(() => retry.click());
    expect((await screen.findByTestId('agent-roi')).textContent).toBe(
      'replica price unknown · break-even $20.45/h',
    );
  });
});

describe('DecisionsFeed', () => {
  it('lists the decisions from the API, then puts a live DECISION_MADE on top', async () => {
    const listed = decision({ created_at: '2026-11-24T10:00:00.000Z' });
    fakeFetch({ 'GET /api/client/decisions': () => ({ status: 200, body: { decisions: [listed] } }) });
    render(<DecisionsFeed />);
    await screen.findByTestId('decisions-feed');
    const live = decision({
      created_at: '2026-11-24T10:10:00.000Z',
      policy: 'cheapest-stable',
      output: {
        action: 'stay',
        target: null,
        expected_saving_per_hour: 0,
        urgent: false,
        confidence: 0.95,
        reason: 'already cheapest',
      },
    });
    const { input: _input, ...data } = live;
    act(() =>
      useFleet.setState((s) =>
        applyEvent(s, ev('DECISION_MADE', data as unknown as Record<string, unknown>, 1)),
      ),
    );
    const items = screen.getAllByTestId('decision');
    expect(items.map((i) => i.getAttribute('data-action'))).toEqual(['stay', 'switch']);
    expect(items[0]!.textContent).toContain('confidence 95%');
    expect(items[0]!.textContent).toContain('already cheapest');
    expect(items[1]!.textContent).toContain('m5.large · us-east-1b');
    expect(within(items[1]!).getByTestId('decision-saving').textContent).toBe('saves $0.0120/h');
    expect(items[1]!.textContent).toContain('cheapest-stable');
    expect(items[1]!.textContent).toContain(AGENT.slice(0, 8));
  });

  it('shows when a model failed and the rules answered instead, and nothing of the kind otherwise', async () => {
    const byModel = decision({ created_at: '2026-11-24T10:00:00.000Z', policy: 'pool-scorer@2' });
    const fellBack = decision({
      created_at: '2026-11-24T10:05:00.000Z',
      policy: 'rules',
      fallback: 'timeout',
    });
    fakeFetch({
      'GET /api/client/decisions': () => ({ status: 200, body: { decisions: [byModel, fellBack] } }),
    });
    render(<DecisionsFeed />);
    await screen.findByTestId('decisions-feed');
    const items = await screen.findAllByTestId('decision');
    expect(items).toHaveLength(2);
    expect(within(items[0]!).getByTestId('decision-fallback').textContent).toContain(
      'model fell back to the rules: timeout',
    );
    expect(within(items[1]!).queryByTestId('decision-fallback')).toBeNull();
    expect(items[1]!.textContent).toContain('pool-scorer@2');
  });

  it('says there are none yet', async () => {
    const { calls } = fakeFetch({
      'GET /api/client/decisions': () => ({ status: 200, body: { decisions: [] } }),
    });
    render(<DecisionsFeed />);
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(screen.getByText('No decisions yet')).toBeTruthy();
  });
});

describe('PricesView fleet savings', () => {
  it('shows the current saving rate with its projections and names what could not be compared', async () => {
    const savings: SavingsResponse = {
      ...figures,
      unknown_ondemand: [
        { instance_type: 'x9.huge', region: 'eu-west-1', market: 'spot', hours: 3, spend: 0.9 },
      ],
      hourly: [
        {
          hour: '2026-11-24T07:00:00.000Z',
          spot_cost: 0.1,
          ondemand_cost: 0.3,
          unknown_ondemand_spend: 0,
          savings: 0.2,
          cumulative_savings: 0.2,
        },
      ],
    };
    fakeFetch({
      'GET /api/client/savings': () => ({ status: 200, body: savings }),
      'GET /api/client/prices': () => ({ status: 200, body: { pools: [] } }),
      'GET /api/client/savings/agents': () => ({ status: 200, body: { agents: [] } }),
      'GET /api/client/decisions': () => ({ status: 200, body: { decisions: [] } }),
    });
    render(<PricesView />);
    const rate = await screen.findByTestId('savings-rate');
    expect(rate.textContent).toContain('$0.0500/h');
    expect(rate.textContent).toContain('$36.50/month');
    expect(rate.textContent).toContain('$438/year');
    expect(screen.getByTestId('savings-unknown').textContent).toContain('x9.huge in eu-west-1');
  });
});

describe('AgentSavingsCard', () => {
  it("shows the agent's figures and each switch's price before and after with its saving", async () => {
    const row = agentRow({ agent_id: AGENT });
    const { calls } = fakeFetch({
      [`GET /api/client/agents/${AGENT}/savings`]: () => ({
        status: 200,
        body: {
          ...row,
          hourly: [],
          switches: [
            {
              switch_id: uuid(),
              trigger: 'decision',
              status: 'COMPLETED',
              requested_at: '2026-11-24T09:00:00.000Z',
              from: { instance_type: 't3.medium', availability_zone: 'us-east-1a', market: 'spot' },
              to: { instance_type: 'm5.large', availability_zone: 'us-east-1b', market: 'spot' },
              price_before: 0.05,
              price_after: 0.03,
              saving_per_hour: 0.02,
              saving_pct: 40,
              monthly_projection: 14.6,
            },
            {
              switch_id: uuid(),
              trigger: 'fallback',
              status: 'FAILED',
              requested_at: '2026-11-24T08:00:00.000Z',
              from: { instance_type: null, availability_zone: null, market: null },
              to: { instance_type: 't3.medium', availability_zone: null, market: 'on-demand' },
              price_before: null,
              price_after: 0.0416,
              saving_per_hour: null,
              saving_pct: null,
              monthly_projection: null,
            },
          ],
        },
      }),
    });
    render(<AgentSavingsCard agentId={AGENT} />);
    const rows = await screen.findAllByTestId('switch-impact-row');
    expect(calls[0]!.path).toBe(`/api/client/agents/${AGENT}/savings`);
    expect(rows[0]!.textContent).toContain('t3.medium · us-east-1a → m5.large · us-east-1b');
    expect(within(rows[0]!).getByTestId('switch-impact-saving').textContent).toBe('$0.0200 (+40.0%)');
    expect(rows[1]!.textContent).toContain('(failed)');
    expect(within(rows[1]!).getByTestId('switch-impact-saving').textContent).toBe('—');
    const kpis = screen.getByTestId('agent-savings-kpis');
    expect(kpis.textContent).toContain('$0.0500/h');
    expect(kpis.textContent).toContain('+389%');
    expect(kpis.textContent).toContain('88 s avoided');
  });
});
