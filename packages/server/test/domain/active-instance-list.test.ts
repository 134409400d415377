import { type Instance, InstanceStatus, type StreamEventType } from '@spot/contract';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  activeListOf,
  applyInstanceEvents,
  renderActiveList,
} from '../../src/domain/active-instance-list.ts';

/**
 * The held instance list is brought forward by the client's events instead of being read
 * again. Sound only if: the list read at one moment, with the events committed since applied
 * in order, renders the same instances as the list read after them.
 */
const T0 = Date.UTC(2026, 11, 1);
const instance = (n: number, status: Instance['status'], created: number, version: number): Instance => ({
  instance_id: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
  agent_id: 'agent-1',
  status,
  role: 'PRIMARY',
  market: 'spot',
  cloud_instance_id: version > 1 ? `i-0${n}v${version}` : null,
  instance_type: 'm5.large',
  availability_zone: 'us-east-1a',
  region: 'us-east-1',
  launch_requested_at: new Date(T0 + created * 1000).toISOString(),
  launch_confirmed_at: null,
  launch_duration_seconds: null,
  termination_requested_at: null,
  termination_confirmed_at: null,
  termination_duration_seconds: null,
  termination_reason: null,
  error_code: null,
  error_message: null,
  status_changed_at: new Date(T0 + created * 1000 + version).toISOString(),
  created_at: new Date(T0 + created * 1000).toISOString(),
  version,
});

const statusOf = fc.constantFrom(...InstanceStatus.options);
const change = fc.record({ n: fc.nat({ max: 12 }), status: statusOf, created: fc.nat({ max: 20 }) });
const other = fc.constantFrom<StreamEventType>('AGENT_STATUS_CHANGED', 'SWITCH_STARTED', 'HEARTBEAT');

/** The rows after the changes: the newest write of each instance (its creation time is fixed). */
function replay(changes: Array<{ n: number; status: Instance['status']; created: number }>) {
  const rows = new Map<number, Instance>();
  const events: Array<{ type: StreamEventType; data: unknown }> = [];
  for (const c of changes) {
    const prev = rows.get(c.n);
    const row = instance(
      c.n,
      c.status,
      prev ? Number(prev.created_at.slice(17, 19)) : c.created,
      (prev?.version ?? 0) + 1,
    );
    rows.set(c.n, row);
    events.push({
      type: c.status === 'TERMINATED' ? 'INSTANCE_TERMINATED' : 'INSTANCE_UPDATED',
      data: { ...row, switch_id: 'extra' },
    });
  }
  return { rows, events };
}
const ids = (json: string) =>
  (JSON.parse(json).instances as Instance[]).map((i) => `${i.created_at} ${i.instance_id} ${i.version}`);
const sortedById = (json: string) => [...ids(json)].sort();

describe('the active instance list brought forward by events', () => {
  it('equals the list read after them, for any history split at any point', () => {
    fc.assert(
      fc.property(
        fc.array(change, { maxLength: 40 }),
        fc.nat(),
        fc.array(other, { maxLength: 3 }),
        (changes, at, noise) => {
          const cut = changes.length ? at % (changes.length + 1) : 0;
          const before = replay(changes.slice(0, cut));
          const all = replay(changes);
          const held = activeListOf([...before.rows.values()]);
          const later = all.events.slice(before.events.length);
          const forward = applyInstanceEvents(held, [...noise.map((type) => ({ type, data: {} })), ...later]);
          expect(forward).toBeDefined();
          const fresh = activeListOf([...all.rows.values()]);
          const got = renderActiveList(forward!).toString('utf8');
          expect(sortedById(got)).toEqual(sortedById(renderActiveList(fresh).toString('utf8')));
          // Newest first, as the database orders it.
          const created = ids(got).map((s) => s.slice(0, 24));
          expect(created).toEqual([...created].sort().reverse());
          // Nothing but the contract's fields: extra event data is not listed.
          expect(got).not.toContain('switch_id');
        },
      ),
    );
  });

  it('refuses an instance event whose data is not a whole instance (the caller reads the table)', () => {
    const held = activeListOf([instance(1, 'RUNNING', 1, 1)]);
    expect(applyInstanceEvents(held, [{ type: 'INSTANCE_UPDATED', data: {} }])).toBeUndefined();
    expect(applyInstanceEvents(held, [{ type: 'HEARTBEAT', data: {} }])).toBe(held);
  });
});
