import type { Report } from '../server-client/agent-api.ts';

/**
 * The outbox file is append-only JSON lines: a `put` when a report is accepted, an `ack`
 * once the server has it. Pure replay logic lives here; the file I/O is in outbox.ts.
 */
export interface PutLine {
  op: 'put';
  id: string;
  seq: number;
  created_at: string;
  report: Report;
}
export interface AckLine {
  op: 'ack';
  id: string;
}
export type OutboxLine = PutLine | AckLine;

export interface ReplayResult {
  /** Undelivered entries, oldest first: the order they were accepted in. */
  pending: PutLine[];
  /** The next sequence number to hand out. */
  nextSeq: number;
  /** Lines that could not be read (a write torn by a crash, or a hand edit): skipped. */
  corrupt: number;
  /** Lines in the file (a compaction trigger). */
  lines: number;
}

export function replay(text: string): ReplayResult {
  const puts = new Map<string, PutLine>();
  const acked = new Set<string>();
  let corrupt = 0;
  let lines = 0;
  let maxSeq = -1;
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    lines++;
    const line = parseLine(raw);
    if (!line) {
      corrupt++;
      continue;
    }
    if (line.op === 'put') {
      if (!puts.has(line.id)) puts.set(line.id, line);
      maxSeq = Math.max(maxSeq, line.seq);
    } else acked.add(line.id);
  }
  const pending = [...puts.values()].filter((p) => !acked.has(p.id)).sort((a, b) => a.seq - b.seq);
  return { pending, nextSeq: maxSeq + 1, corrupt, lines };
}

function parseLine(raw: string): OutboxLine | null {
  try {
    const v = JSON.parse(raw) as {
      op?: unknown;
      id?: unknown;
      seq?: unknown;
      created_at?: unknown;
      report?: unknown;
    } | null;
    if (!v || typeof v.id !== 'string' || !v.id) return null;
    if (v.op === 'ack') return { op: 'ack', id: v.id };
    if (
      v.op === 'put' &&
      typeof v.seq === 'number' &&
      Number.isInteger(v.seq) &&
      typeof v.created_at === 'string' &&
      v.report &&
      typeof v.report === 'object' &&
      typeof (v.report as { kind?: unknown }).kind === 'string'
    )
      return v as unknown as PutLine;
    return null;
  } catch {
    return null;
  }
}

export function serialize(line: OutboxLine): string {
  return `${JSON.stringify(line)}\n`;
}
