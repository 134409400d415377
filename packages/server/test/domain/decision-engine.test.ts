import type { DecisionInput } from '@spot/contract';
import { describe, expect, it } from 'vitest';
import {
  createRulesEngine,
  type DecisionEngine,
  runEngine,
  volatility,
} from '../../src/domain/decision-engine.ts';

const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();
const A = { instance_type: 'c5.large', availability_zone: 'us-east-1a' };
const B = { instance_type: 'c5.large', availability_zone: 'us-east-1b' };
const C = { instance_type: 'c5.large', availability_zone: 'us-east-1c' };

type Points = Array<[minutesAgo: number, price: number]>;
const hist = (points: Points) => points.map(([m, price]) => ({ at: at(m), price }));

/** A workload on A at 0.05 for 6 h, with B and C priced by the given histories. */
function input(
  over: { b?: Points; c?: Points; a?: Points } = {},
  patch: Partial<DecisionInput> = {},
): DecisionInput {
  const a = over.a ?? [[360, 0.05]];
  const b = over.b ?? [[360, 0.05]];
  const c = over.c ?? [[360, 0.06]];
  const pool = (p: typeof A, points: Points) => ({
    ...p,
    spot_price: points[points.length - 1]![1],
    ondemand_price: 0.085,
    unavailable: false,
    volatility: volatility(points.map((x) => x[1])),
    history: hist(points),
  });
  return {
    agent_id: '00000000-0000-4000-8000-000000000001',
    now: new Date(NOW).toISOString(),
    time_scale: 1,
    config: { mode: 'auto_switch', min_savings_percent: 10 },
    current: {
      ...A,
      market: 'spot',
      price: a[a.length - 1]![1],
      ondemand_price: 0.085,
      history: hist(a),
    },
    candidates: [pool(A, a), pool(B, b), pool(C, c)],
    recent_switches: [],
    recent_interruptions: [],
    settings: {
      min_switch_interval_seconds: 1800,
      confirm_seconds: 600,
      overlap_seconds: 300,
      urgent_saving_percent: 30,
    },
    ...patch,
  };
}

const rules = createRulesEngine();
const decide = (i: unknown) => runEngine(rules, i);

describe('decision engine: the contract', () => {
  it('rejects a bad input: the answer is stay, with the violation named', () => {
    for (const bad of [
      null,
      { ...input(), time_scale: 0 },
      { ...input(), config: { mode: 'sometimes', min_savings_percent: 10 } },
      { ...input(), candidates: [{ ...input().candidates[1], spot_price: -1 }] },
      { ...input(), candidates: [input().candidates[1], input().candidates[1]] },
      {
        ...input(),
        current: {
          ...input().current,
          history: hist([
            [10, 0.05],
            [20, 0.04],
          ]),
        },
      },
      { ...input(), now: 'yesterday' },
    ]) {
      const r = decide(bad);
      expect(r.output).toMatchObject({ action: 'stay', reason: 'invalid decision input', confidence: 0 });
      expect(r.violation?.side).toBe('input');
    }
  });

  it('rejects a bad output, a throwing engine, and a target the input forbids', () => {
    const engines: Array<[DecisionEngine['decide'], string]> = [
      [() => ({ action: 'move' }) as never, 'action'],
      [
        () =>
          ({
            action: 'switch',
            target: B,
            expected_saving_per_hour: -1,
            urgent: false,
            confidence: 0.5,
            reason: 'x',
          }) as never,
        'expected_saving_per_hour',
      ],
      [
        () =>
          ({
            action: 'stay',
            target: null,
            expected_saving_per_hour: 0,
            urgent: false,
            confidence: 2,
            reason: 'x',
          }) as never,
        'confidence',
      ],
      [
        () => {
          throw new Error('boom');
        },
        'threw: boom',
      ],
      [
        () => ({
          action: 'switch',
          target: { instance_type: 'm5.large', availability_zone: 'us-east-1b' },
          expected_saving_per_hour: 0.01,
          urgent: false,
          confidence: 0.5,
          reason: 'x',
        }),
        'not a candidate',
      ],
      [
        () => ({
          action: 'switch',
          target: A,
          expected_saving_per_hour: 0.01,
          urgent: false,
          confidence: 0.5,
          reason: 'x',
        }),
        'current pool',
      ],
    ];
    for (const [fn, message] of engines) {
      const r = runEngine({ name: 'broken', decide: fn }, input());
      expect(r.output.action).toBe('stay');
      expect(r.violation).toMatchObject({ side: 'output' });
      expect(r.violation?.message).toContain(message);
    }
    const unavailable = input();
    unavailable.candidates[1]!.unavailable = true;
    const r = runEngine(
      {
        name: 'broken',
        decide: () => ({
          action: 'switch',
          target: B,
          expected_saving_per_hour: 0.01,
          urgent: false,
          confidence: 0.5,
          reason: 'x',
        }),
      },
      unavailable,
    );
    expect(r.violation?.message).toContain('unavailable');
  });
});

describe('decision engine: rules', () => {
  it('stays when nothing is cheaper by min_savings_percent', () => {
    expect(decide(input()).output).toMatchObject({
      action: 'stay',
      reason: 'no available candidate 10% cheaper',
    });
    // 8% cheaper is not 10%.
    expect(
      decide(
        input({
          b: [
            [360, 0.05],
            [120, 0.046],
          ],
        }),
      ).output.action,
    ).toBe('stay');
  });

  it('moves to a pool whose price dropped for good, with the saving, confidence and urgency', () => {
    const r = decide(
      input({
        b: [
          [360, 0.05],
          [120, 0.03],
        ],
      }),
    );
    expect(r.violation).toBeNull();
    expect(r.output).toMatchObject({
      action: 'switch',
      target: B,
      expected_saving_per_hour: 0.02,
      urgent: true,
    });
    expect(r.output.confidence).toBeGreaterThan(0.5);
    const mild = decide(
      input({
        b: [
          [360, 0.05],
          [120, 0.042],
        ],
      }),
    );
    expect(mild.output).toMatchObject({ action: 'switch', urgent: false });
  });

  it('hysteresis: a brief dip, or one that just began, does not move the workload', () => {
    // Began 5 minutes ago: not yet confirmed (600 s).
    const fresh = decide(
      input({
        b: [
          [360, 0.05],
          [5, 0.03],
        ],
      }),
    );
    expect(fresh.output.action).toBe('stay');
    expect(fresh.output.reason).toMatch(/lasted 300 s of the 600 s/);
    // Dipped for 8 minutes an hour ago, back since.
    expect(
      decide(
        input({
          b: [
            [360, 0.05],
            [60, 0.03],
            [52, 0.05],
          ],
        }),
      ).output.action,
    ).toBe('stay');
    // Dips that keep coming back up are no lasting saving either.
    const flapping: Points = [[360, 0.05]];
    for (let m = 100; m > 0; m -= 8) flapping.push([m, 0.03], [m - 4, 0.05]);
    flapping.pop();
    expect(decide(input({ b: flapping })).output.action).toBe('stay');
  });

  it("a short time scale counts in the cloud's seconds", () => {
    // 60× faster: 20 real seconds are 1200 cloud seconds, past the 600 s confirmation.
    const i = input({}, { time_scale: 60 });
    const b = [
      { at: new Date(NOW - 3_600_000 / 60).toISOString(), price: 0.05 },
      { at: new Date(NOW - 20_000).toISOString(), price: 0.03 },
    ];
    i.candidates[1] = { ...i.candidates[1]!, spot_price: 0.03, history: b };
    expect(decide(i).output).toMatchObject({ action: 'switch', target: B });
  });

  it('stays within the minimum time between switches', () => {
    const drop = {
      b: [
        [360, 0.05],
        [120, 0.03],
      ] as Points,
    };
    const recent = decide(
      input(drop, { recent_switches: [{ at: at(20), trigger: 'decision', status: 'COMPLETED' }] }),
    );
    expect(recent.output.action).toBe('stay');
    expect(recent.output.reason).toMatch(/minimum time between switches/);
    const older = decide(
      input(drop, { recent_switches: [{ at: at(31), trigger: 'manual', status: 'COMPLETED' }] }),
    );
    expect(older.output.action).toBe('switch');
  });

  it('never picks a pool in the unavailable memory; takes the next one when it qualifies', () => {
    const i = input({
      b: [
        [360, 0.05],
        [120, 0.03],
      ],
      c: [
        [360, 0.06],
        [120, 0.035],
      ],
    });
    i.candidates[1]!.unavailable = true;
    expect(decide(i).output).toMatchObject({ action: 'switch', target: C });
    i.candidates[2]!.unavailable = true;
    expect(decide(i).output).toMatchObject({ action: 'stay', reason: 'no available priced candidate' });
  });

  it('stays outside auto_switch, on on-demand, and without a price for the current pool', () => {
    const drop = {
      b: [
        [360, 0.05],
        [120, 0.03],
      ] as Points,
    };
    expect(decide(input(drop, { config: { mode: 'observe', min_savings_percent: 10 } })).output.reason).toBe(
      'mode is observe',
    );
    const od = input(drop);
    od.current = { ...od.current, market: 'on-demand', availability_zone: null, price: 0.085, history: [] };
    expect(decide(od).output.reason).toMatch(/return-to-spot/);
    const unpriced = input(drop);
    unpriced.current = { ...unpriced.current, price: null, history: [] };
    expect(decide(unpriced).output.action).toBe('stay');
  });

  it('volatility is the coefficient of variation', () => {
    expect(volatility([1])).toBeNull();
    expect(volatility([2, 2, 2])).toBe(0);
    expect(volatility([1, 3])).toBe(0.5);
  });
});
