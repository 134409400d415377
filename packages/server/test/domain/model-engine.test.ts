import type { DecisionInput } from '@spot/contract';
import { FEATURE_COUNT, type Scorer } from '@spot/decision';
import { describe, expect, it } from 'vitest';
import { createRulesEngine, volatility } from '../../src/domain/decision-engine.ts';
import {
  type AsyncDecisionEngine,
  createModelEngine,
  runWithFallback,
  type Timer,
} from '../../src/domain/model-engine.ts';
import { nextModelState } from '../../src/domain/model-lifecycle.ts';

const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();
const A = { instance_type: 'c5.large', availability_zone: 'us-east-1a' };
const B = { instance_type: 'c5.large', availability_zone: 'us-east-1b' };
const C = { instance_type: 'c5.large', availability_zone: 'us-east-1c' };
type Points = Array<[minutesAgo: number, price: number]>;
const hist = (points: Points) => points.map(([m, price]) => ({ at: at(m), price }));

/** On A at 0.05 for 6 h; B dropped to 0.03 `bMinutes` ago; C at 0.04 for 6 h. */
function input(bMinutes = 60, patch: Partial<DecisionInput> = {}): DecisionInput {
  const pool = (p: typeof A, points: Points, unavailable = false) => ({
    ...p,
    spot_price: points[points.length - 1]![1],
    ondemand_price: 0.085,
    unavailable,
    volatility: volatility(points.map((x) => x[1])),
    history: hist(points),
  });
  return {
    agent_id: '00000000-0000-4000-8000-000000000001',
    now: new Date(NOW).toISOString(),
    time_scale: 1,
    config: { mode: 'auto_switch', min_savings_percent: 10 },
    current: { ...A, market: 'spot', price: 0.05, ondemand_price: 0.085, history: hist([[360, 0.05]]) },
    candidates: [
      pool(A, [[360, 0.05]]),
      pool(B, [
        [360, 0.05],
        [bMinutes, 0.03],
      ]),
      pool(C, [[360, 0.04]]),
    ],
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

/** Scores each row by a function of its features; records the rows asked. */
function scorer(score: (row: Float32Array) => number) {
  const asked: number[] = [];
  const s: Scorer = {
    async score(rows, n) {
      asked.push(n);
      return Float32Array.from({ length: n }, (_, i) =>
        score(rows.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)),
      );
    },
  };
  return { s, asked };
}

const engine = (s: Scorer, threshold = 0.7) =>
  createModelEngine({ name: 'model:test@v1', scorer: s, threshold, range: [0, 1] });
const rules = createRulesEngine();
/** A timer that never fires, and one that has already fired. */
const never: Timer = () => ({ done: new Promise(() => {}), cancel() {} });
const fired: Timer = () => ({ done: Promise.resolve(), cancel() {} });
const run = (e: AsyncDecisionEngine, raw: unknown, timer: Timer = never) =>
  runWithFallback(e, rules, raw, { timeoutMs: 50, timer });

describe('model engine', () => {
  it('scores only the candidates the hard rules allow and moves to the best expected saving', async () => {
    // B saves 0.02 (score 0.8), C saves 0.01 (score 0.99): 0.016 > 0.0099, B wins.
    const { s, asked } = scorer((row) => (row[0]! < Math.log(0.7) ? 0.8 : 0.99));
    const r = await run(engine(s), input());
    expect(asked).toEqual([2]); // B and C; never A (the current pool)
    expect(r).toMatchObject({
      policy: 'model:test@v1',
      fallback: null,
      violation: null,
      output: { action: 'switch', target: B, expected_saving_per_hour: 0.02, urgent: true, confidence: 0.8 },
    });
  });

  it('stays below the threshold, and before the saving has lasted confirm_seconds', async () => {
    const low = await run(engine(scorer(() => 0.3).s), input());
    expect(low.output).toMatchObject({ action: 'stay', confidence: 0.7 });
    expect(low.output.reason).toMatch(/scores 0\.300, below 0\.7/);
    const brief = await run(engine(scorer(() => 0.9).s), input(5));
    expect(brief.output.action).toBe('stay');
    // B's expected saving (0.02 × 0.9) beats C's, but B's drop is only 5 minutes old.
    expect(brief.output.reason).toMatch(/us-east-1b has lasted 300 s of the 600 s/);
  });

  it('obeys the hard rules without asking the model: mode, min switch interval, unavailable pools', async () => {
    const { s, asked } = scorer(() => 1);
    const observe = await run(engine(s), input(60, { config: { mode: 'observe', min_savings_percent: 10 } }));
    expect(observe.output).toMatchObject({ action: 'stay', reason: 'mode is observe' });
    const recent = await run(
      engine(s),
      input(60, { recent_switches: [{ at: at(10), trigger: 'decision', status: 'COMPLETED' }] }),
    );
    expect(recent.output.reason).toMatch(/minimum time between switches/);
    const i = input();
    i.candidates[1]!.unavailable = true;
    i.candidates[2]!.unavailable = true;
    const none = await run(engine(s), i);
    expect(none.output.reason).toBe('no available priced candidate');
    expect(asked).toEqual([]);
  });
});

describe('runWithFallback: the rules answer when the model fails', () => {
  it('a model that throws: the rules answer, fallback "error"', async () => {
    const failing: Scorer = {
      score: async () => {
        throw new Error('kernel panic');
      },
    };
    const r = await run(engine(failing), input());
    expect(r.policy).toBe('rules');
    expect(r.fallback).toEqual({ reason: 'error', message: 'threw: kernel panic' });
    // The rules' own answer on the same input.
    expect(r.output).toEqual(
      (await run({ name: 'x', decide: async (x) => rules.decide(x) }, input())).output,
    );
  });

  it('a model that does not answer in time: fallback "timeout"', async () => {
    const hang: Scorer = { score: () => new Promise(() => {}) };
    const r = await run(engine(hang), input(), fired);
    expect(r).toMatchObject({
      policy: 'rules',
      fallback: { reason: 'timeout', message: 'no answer within 50 ms' },
    });
  });

  it('scores out of the declared range or an answer breaking the decision contract: fallback "contract"', async () => {
    const r = await run(engine(scorer(() => 7).s), input());
    expect(r).toMatchObject({ policy: 'rules', fallback: { reason: 'contract' } });
    expect(r.fallback?.message).toMatch(/score 7 outside \[0, 1\]/);
    const rogue: AsyncDecisionEngine = {
      name: 'model:rogue@v1',
      decide: async () => ({
        action: 'switch',
        target: A,
        expected_saving_per_hour: 1,
        urgent: false,
        confidence: 1,
        reason: 'stay put by moving',
      }),
    };
    const c = await run(rogue, input());
    expect(c).toMatchObject({
      policy: 'rules',
      fallback: { reason: 'contract', message: 'target is the current pool' },
    });
  });

  it('an input that breaks the contract is no fault of the model: the rules wrapper answers stay', async () => {
    const { s, asked } = scorer(() => 1);
    const r = await run(engine(s), { ...input(), time_scale: 0 });
    expect(r).toMatchObject({ policy: 'rules', fallback: null, output: { action: 'stay' } });
    expect(r.violation?.side).toBe('input');
    expect(asked).toEqual([]);
  });
});

describe('model lifecycle', () => {
  it('activates only a validated (or once validated, retired) model', () => {
    expect(nextModelState({ status: 'uploaded', scope: null }, { type: 'validated', ok: true })).toEqual({
      status: 'validated',
      scope: null,
    });
    expect(nextModelState({ status: 'uploaded', scope: null }, { type: 'validated', ok: false }).status).toBe(
      'rejected',
    );
    expect(
      nextModelState({ status: 'validated', scope: null }, { type: 'activate', scope: 'global' }),
    ).toEqual({
      status: 'active',
      scope: 'global',
    });
    expect(
      nextModelState({ status: 'retired', scope: null }, { type: 'activate', scope: 'global' }).status,
    ).toBe('active');
    for (const status of ['uploaded', 'rejected'] as const)
      expect(() => nextModelState({ status, scope: null }, { type: 'activate', scope: 'global' })).toThrow(
        expect.objectContaining({ code: 'INVALID_TRANSITION', status: 409 }),
      );
  });

  it('retires an active model on deactivate or supersede; refuses those on inactive ones', () => {
    const active = { status: 'active', scope: 'global' } as const;
    expect(nextModelState(active, { type: 'deactivate' })).toEqual({ status: 'retired', scope: null });
    expect(nextModelState(active, { type: 'supersede' })).toEqual({ status: 'retired', scope: null });
    expect(nextModelState(active, { type: 'activate', scope: 'global' })).toEqual(active);
    expect(() => nextModelState(active, { type: 'activate', scope: 'x' })).toThrow(/deactivate it first/);
    expect(() => nextModelState(active, { type: 'validated', ok: true })).toThrow(/deactivate it first/);
    expect(() => nextModelState({ status: 'validated', scope: null }, { type: 'deactivate' })).toThrow(
      /not active/,
    );
  });
});
