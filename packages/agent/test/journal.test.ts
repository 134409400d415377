import type { Command } from '@spot/contract';
import { describe, expect, it } from 'vitest';
import { Journal, JournalData, MAX_DONE_COMMANDS } from '../src/state-store/journal.ts';

const cmd = (id: string): Command => ({
  id,
  command_type: 'LAUNCH_INSTANCE',
  priority: 100,
  request_id: `req-${id}`,
  metadata: {},
  created_at: '2026-01-01T00:00:00.000Z',
});
const at = new Date('2026-01-01T00:00:00Z');

describe('command dedupe (journal)', () => {
  it('executes a new command once: a redelivery while it runs, or after it finished, is skipped', () => {
    const j = new Journal();
    const inflight = new Set<string>();
    expect(j.admit('c1', inflight)).toBe('execute');
    j.started(cmd('c1'), at);
    inflight.add('c1');
    expect(j.admit('c1', inflight)).toBe('skip-inflight');
    j.finished('c1', at);
    inflight.delete('c1');
    expect(j.admit('c1', inflight)).toBe('skip-done');
    expect(j.admit('c2', inflight)).toBe('execute');
  });

  it('survives a restart: done stays done, unfinished commands come back for resumption', () => {
    const j = new Journal();
    j.started(cmd('done'), at);
    j.finished('done', at);
    j.started(cmd('half'), at);
    const reloaded = new Journal(JournalData.parse(JSON.parse(JSON.stringify(j.toJSON()))));
    expect(reloaded.admit('done', new Set())).toBe('skip-done');
    expect(reloaded.unfinished().map((c) => c.id)).toEqual(['half']);
  });

  it('keeps a bounded memory of finished commands, forgetting the oldest first', () => {
    const j = new Journal();
    for (let i = 0; i < MAX_DONE_COMMANDS + 5; i++) {
      j.started(cmd(`c${i}`), at);
      j.finished(`c${i}`, at);
    }
    expect(Object.keys(j.toJSON().commands)).toHaveLength(MAX_DONE_COMMANDS);
    expect(j.admit('c0', new Set())).toBe('execute');
    expect(j.admit(`c${MAX_DONE_COMMANDS + 4}`, new Set())).toBe('skip-done');
  });

  it('never forgets a running command when pruning', () => {
    const j = new Journal();
    j.started(cmd('long'), at);
    for (let i = 0; i < MAX_DONE_COMMANDS + 5; i++) {
      j.started(cmd(`c${i}`), at);
      j.finished(`c${i}`, at);
    }
    expect(j.unfinished().map((c) => c.id)).toEqual(['long']);
  });

  it('tracks instances for the reconcile loop', () => {
    const j = new Journal();
    j.track('inst-1', 'i-0abc', 'launching', at);
    j.track('inst-1', 'i-0abc', 'running', at);
    expect(j.trackedInstance('inst-1')?.phase).toBe('running');
    j.untrack('inst-1');
    expect(j.tracked()).toEqual([]);
  });
});
