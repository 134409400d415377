import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox } from '../src/outbox/outbox.ts';
import { replay, serialize } from '../src/outbox/outbox-log.ts';
import type { Report } from '../src/server-client/agent-api.ts';
import { ServerError, TransportError } from '../src/server-client/http.ts';

const log = pino({ level: 'silent' });
const notice = (n: number): Report => ({
  kind: 'rebalance-notice',
  body: { cloud_instance_id: `i-${n.toString(16).padStart(4, '0')}`, notice_time: '2026-01-01T00:00:00Z' },
});
const idOf = (r: Report) => (r.kind === 'rebalance-notice' ? r.body.cloud_instance_id : r.kind);

describe('outbox log replay (pure)', () => {
  it('returns un-acked entries in acceptance order and the next sequence number', () => {
    const text = [
      serialize({ op: 'put', id: 'b', seq: 1, created_at: 'x', report: notice(1) }),
      serialize({ op: 'put', id: 'a', seq: 0, created_at: 'x', report: notice(0) }),
      serialize({ op: 'put', id: 'c', seq: 2, created_at: 'x', report: notice(2) }),
      serialize({ op: 'ack', id: 'b' }),
    ].join('');
    const r = replay(text);
    expect(r.pending.map((p) => p.id)).toEqual(['a', 'c']);
    expect(r.nextSeq).toBe(3);
    expect(r.corrupt).toBe(0);
  });

  it('skips a line torn by a crash and anything that is not an outbox line', () => {
    const good = serialize({ op: 'put', id: 'a', seq: 0, created_at: 'x', report: notice(0) });
    const r = replay(`${good}{"op":"put","id":"b","seq":1,"crea\n[]\n{"op":"put","id":"z"}\n`);
    expect(r.pending.map((p) => p.id)).toEqual(['a']);
    expect(r.corrupt).toBe(3);
  });
});

describe('durable outbox', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'spot-outbox-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers in order once the server comes back, retrying with backoff meanwhile', async () => {
    let serverUp = false;
    let attempts = 0;
    const delivered: string[] = [];
    const keys: string[] = [];
    const box = await Outbox.open({
      dir,
      log,
      backoff: { baseMs: 5, capMs: 20 },
      send: async (report, id) => {
        attempts++;
        if (!serverUp) throw new TransportError('ECONNREFUSED');
        delivered.push(idOf(report));
        keys.push(id);
      },
    });
    box.start();
    for (let i = 0; i < 5; i++) await box.enqueue(notice(i));
    // Retrying meanwhile: wait for a few failed attempts (not a fixed sleep, which a busy
    // machine can fill with a single attempt).
    const until = Date.now() + 10_000;
    while (attempts < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(delivered).toEqual([]);
    expect(attempts).toBeGreaterThanOrEqual(3);
    serverUp = true;
    expect(await box.flush(5_000)).toBe(true);
    expect(delivered).toEqual(['i-0000', 'i-0001', 'i-0002', 'i-0003', 'i-0004']);
    expect(new Set(keys).size).toBe(5);
    await box.close();
  });

  it('keeps undelivered reports across a restart and delivers them first, in order', async () => {
    const first = await Outbox.open({
      dir,
      log,
      send: async () => Promise.reject(new TransportError('down')),
    });
    for (let i = 0; i < 3; i++) await first.enqueue(notice(i));
    await first.close(); // never started: nothing delivered
    expect((await stat(path.join(dir, 'outbox.jsonl'))).mode & 0o777).toBe(0o600);

    const delivered: string[] = [];
    const ids: string[] = [];
    const second = await Outbox.open({
      dir,
      log,
      send: async (r, id) => {
        delivered.push(idOf(r));
        ids.push(id);
      },
    });
    expect(second.size).toBe(3);
    await second.enqueue(notice(9));
    second.start();
    expect(await second.flush(5_000)).toBe(true);
    expect(delivered).toEqual(['i-0000', 'i-0001', 'i-0002', 'i-0009']);
    await second.close();

    // Everything acked: a third start has nothing to send, and the same ids were used as idempotency keys.
    const third = await Outbox.open({ dir, log, send: async () => {} });
    expect(third.size).toBe(0);
    await third.close();
    expect(new Set(ids).size).toBe(4);
  });

  it('drops a report the server rejects for good, so it cannot block the ones behind it', async () => {
    const delivered: string[] = [];
    const box = await Outbox.open({
      dir,
      log,
      send: async (r) => {
        if (idOf(r) === 'i-0001') throw new ServerError(409, 'INVALID_TRANSITION', 'already terminated');
        delivered.push(idOf(r));
      },
    });
    box.start();
    for (let i = 0; i < 3; i++) await box.enqueue(notice(i));
    expect(await box.flush(5_000)).toBe(true);
    expect(delivered).toEqual(['i-0000', 'i-0002']);
    expect(box.stats.rejected).toBe(1);
    await box.close();
  });

  it('keeps retrying (never drops) on 5xx, 429 and an idempotency key still in progress', async () => {
    const errors = [
      new ServerError(503, 'UNAVAILABLE', 'db down'),
      new ServerError(429, 'RATE_LIMITED', 'slow down'),
      new ServerError(409, 'IDEMPOTENCY_IN_PROGRESS', 'first still running'),
    ];
    const delivered: string[] = [];
    const box = await Outbox.open({
      dir,
      log,
      backoff: { baseMs: 1, capMs: 5 },
      send: async (r) => {
        const e = errors.shift();
        if (e) throw e;
        delivered.push(idOf(r));
      },
    });
    box.start();
    await box.enqueue(notice(7));
    expect(await box.flush(5_000)).toBe(true);
    expect(delivered).toEqual(['i-0007']);
    expect(box.stats.rejected).toBe(0);
    await box.close();
  });

  it('resumes after a torn final line without losing the entries before it', async () => {
    const box = await Outbox.open({ dir, log, send: async () => Promise.reject(new TransportError('down')) });
    await box.enqueue(notice(1));
    await box.close();
    await appendFile(path.join(dir, 'outbox.jsonl'), '{"op":"put","id":"half-writ');
    const delivered: string[] = [];
    const again = await Outbox.open({ dir, log, send: async (r) => void delivered.push(idOf(r)) });
    again.start();
    expect(await again.flush(5_000)).toBe(true);
    expect(delivered).toEqual(['i-0001']);
    await again.close();
    expect(await readFile(path.join(dir, 'outbox.jsonl'), 'utf8')).not.toContain('half-writ');
  });

  it('keeps at most maxPendingPricing undelivered price reports, dropping the oldest', async () => {
    const box = await Outbox.open({ dir, log, maxPendingPricing: 2, send: async () => {} });
    const price = (p: number): Report => ({
      kind: 'pricing-report',
      body: {
        prices: [
          {
            instance_type: 'c5.large',
            availability_zone: 'us-east-1a',
            spot_price: p,
            timestamp: '2026-01-01T00:00:00Z',
          },
        ],
      },
    });
    await box.enqueue(notice(1));
    for (const p of [0.1, 0.2, 0.3, 0.4]) await box.enqueue(price(p));
    expect(box.size).toBe(3);
    expect(box.stats.dropped).toBe(2);
    await box.close();
  });
});
