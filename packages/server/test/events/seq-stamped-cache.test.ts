import { describe, expect, it } from 'vitest';
import { SeqStampedCache } from '../../src/services/seq-stamped-cache.ts';

const text = (b: Buffer) => b.toString('utf8');
const builder = (body: string) => {
  let calls = 0;
  const build = async () => {
    calls++;
    return { model: body, body };
  };
  return { build, calls: () => calls };
};

describe('SeqStampedCache', () => {
  it('answers from memory while the seq is the one it was stamped with, rebuilds when it moves', async () => {
    const cache = new SeqStampedCache<string>(1_000);
    const a = builder('{"v":1}');
    expect(text(await cache.get('c1', 5, a.build))).toBe('{"v":1}');
    expect(text(await cache.get('c1', 5, a.build))).toBe('{"v":1}');
    expect(a.calls()).toBe(1);
    const b = builder('{"v":2}');
    expect(text(await cache.get('c1', 6, b.build))).toBe('{"v":2}');
    expect(b.calls()).toBe(1);
    expect(text(await cache.get('c1', 6, a.build))).toBe('{"v":2}');
    expect([cache.hits, cache.misses]).toEqual([2, 2]);
  });

  it('hands a build the older stamped answer to bring forward, never a newer or equal one', async () => {
    const cache = new SeqStampedCache<string>(1_000);
    const seen: Array<string | undefined> = [];
    const build = (text: string) => async (held: { model: string } | undefined) => {
      seen.push(held?.model);
      return { model: text, body: text };
    };
    await cache.get('c1', 5, build('at 5'));
    await cache.get('c1', 7, build('at 7'));
    await cache.get('c1', 6, build('at 6')); // an older seq than the held one: built from scratch
    expect(seen).toEqual([undefined, 'at 5', undefined]);
  });

  it('keeps tenants apart', async () => {
    const cache = new SeqStampedCache<string>(1_000);
    await cache.get('c1', 5, builder('one').build);
    expect(text(await cache.get('c2', 5, builder('two').build))).toBe('two');
    expect(text(await cache.get('c1', 5, builder('other').build))).toBe('one');
  });

  it('the last build stored wins: an answer for an older seq is brought forward by the next read', async () => {
    const cache = new SeqStampedCache<string>(1_000);
    let release!: () => void;
    const slow = cache.get(
      'c1',
      5,
      () => new Promise((r) => (release = () => r({ model: 'old', body: 'old' }))),
    );
    expect(text(await cache.get('c1', 6, builder('new').build))).toBe('new');
    release();
    expect(text(await slow)).toBe('old'); // its own caller gets what it read
    const seen: Array<string | undefined> = [];
    const forward = async (held: { seq: number; model: string } | undefined) => {
      seen.push(held ? `${held.model}@${held.seq}` : undefined);
      return { model: 'forward', body: 'forward' };
    };
    expect(text(await cache.get('c1', 6, forward))).toBe('forward');
    expect(seen).toEqual(['old@5']);
    // A seq that went down (events deleted by retention): read afresh, and held from then on.
    expect(text(await cache.get('c1', 2, builder('afresh').build))).toBe('afresh');
    expect(text(await cache.get('c1', 2, builder('again').build))).toBe('afresh');
  });

  it('holds at most its byte budget, dropping the least recently used answer first', async () => {
    const cache = new SeqStampedCache<string>(10);
    await cache.get('a', 1, builder('aaaa').build);
    await cache.get('b', 1, builder('bbbb').build);
    await cache.get('a', 1, builder('x').build); // a is now the most recent
    await cache.get('c', 1, builder('cccc').build);
    expect(cache.heldBytes).toBe(8);
    expect(text(await cache.get('a', 1, builder('rebuilt').build))).toBe('aaaa');
    expect(text(await cache.get('b', 1, builder('rebuilt').build))).toBe('rebuilt');
    // An answer larger than the whole budget is served but never held.
    expect(text(await cache.get('big', 1, builder('0123456789abc').build))).toBe('0123456789abc');
    expect(cache.heldBytes).toBeLessThanOrEqual(10);
    expect(text(await cache.get('big', 1, builder('again').build))).toBe('again');
  });

  it('counts what a model says it holds beside its body', async () => {
    const cache = new SeqStampedCache<string>(10);
    await cache.get('m', 1, async () => ({ model: 'x', body: Buffer.from('ab'), modelBytes: 5 }));
    expect(cache.heldBytes).toBe(7);
    await cache.get('n', 1, async () => ({ model: 'y', body: 'cd', modelBytes: 5 }));
    expect(cache.heldBytes).toBe(7); // m went: 14 would not fit
  });
});
