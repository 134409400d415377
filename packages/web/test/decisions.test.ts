import type { DecisionView } from '@spot/contract';
import { describe, expect, it } from 'vitest';
import { DECISIONS_MAX, mergeDecisions } from '../src/store/decisions';
import { emptyFleet, type FleetState } from '../src/store/fleet-state';
import { applyAgents, applyDecisions, applyEvent } from '../src/store/reducer';
import { AGENT, decision, ev } from './fixtures';

const made = (d: DecisionView, seq: number) => {
  const { input: _input, ...data } = d;
  return ev('DECISION_MADE', data as unknown as Record<string, unknown>, seq);
};

describe('decisions feed', () => {
  it('DECISION_MADE adds the decision, newest first, and logs what was decided for which agent', () => {
    let s: FleetState = applyAgents(emptyFleet(), [
      {
        agent_id: AGENT,
        logical_id: 'web-a',
        status: 'online',
        last_heartbeat_at: null,
        instance_type: null,
        availability_zone: null,
        region: null,
        cloud_instance_id: null,
        active_instances: 1,
        created_at: '2026-11-24T09:00:00.000Z',
      },
    ]);
    const older = decision({ created_at: '2026-11-24T10:00:00.000Z' });
    const stay = decision({
      created_at: '2026-11-24T10:05:00.000Z',
      output: {
        action: 'stay',
        target: null,
        expected_saving_per_hour: 0,
        urgent: false,
        confidence: 0.9,
        reason: 'no cheaper pool',
      },
    });
    s = applyEvent(s, made(older, 1));
    s = applyEvent(s, made(stay, 2));
    expect(s.decisions.map((d) => d.decision_id)).toEqual([stay.decision_id, older.decision_id]);
    expect(s.decisions[0]).not.toHaveProperty('input');
    expect(s.activity.map((a) => a.text)).toEqual([
      'decision for web-a: stay (no cheaper pool)',
      'decision for web-a: switch to m5.large · us-east-1b, saves $0.0120/h',
    ]);
  });

  it('the list and the stream merge by id: a decision seen twice is kept once and the list drops input', () => {
    const a = decision({ created_at: '2026-11-24T10:00:00.000Z' });
    const b = decision({ created_at: '2026-11-24T10:01:00.000Z' });
    let s = applyEvent(emptyFleet(), made(b, 1));
    s = applyDecisions(s, [b, a]);
    expect(s.decisions.map((d) => d.decision_id)).toEqual([b.decision_id, a.decision_id]);
    expect(s.decisions.every((d) => !('input' in d))).toBe(true);
    // Nothing new: the same state comes back (no re-render).
    expect(applyDecisions(s, [a])).toBe(s);
    // A replayed event (same id, later seq) adds no second entry.
    const again = applyEvent(s, made(b, 5));
    expect(again.decisions).toHaveLength(2);
  });

  it(`keeps at most ${DECISIONS_MAX}, dropping the oldest`, () => {
    const many = Array.from({ length: DECISIONS_MAX + 5 }, (_, i) =>
      decision({ created_at: new Date(Date.UTC(2026, 10, 24, 10, i)).toISOString() }),
    );
    const feed = mergeDecisions([], many);
    expect(feed).toHaveLength(DECISIONS_MAX);
    expect(feed[0]!.created_at).toBe(many.at(-1)!.created_at);
    expect(feed.at(-1)!.created_at).toBe(many[5]!.created_at);
  });
});
