// Child process of the SSE benchmark: holds N SSE connections to each target (our server,
// the bare fan-out peer) on raw TCP sockets — the http module's per-chunk stream machinery
// would be most of what we measure — and tells the parent, per event, when the LAST of its
// connections had it (wall clock, µs resolution) once all of them have. It also checks
// every connection got every event in sequence (ids in order, none skipped).
import net from 'node:net';
import { wallMs } from './stats.ts';

interface Target {
  url: string;
  token: string | null;
  count: number;
}
const targets = JSON.parse(process.argv[2]!) as Target[];
const MARK = Buffer.from('event: INSTANCE_LAUNCHING');
const ID = Buffer.from('"instance_id":"');
const SEQ = Buffer.from('id: ');
const FRAME_END = Buffer.from('\n\n');

/** Per event id: how many of this process's connections to its target have it, and when the last did. */
const pending = new Map<string, { count: number; last: number }>();
let open = 0;
const total = targets.reduce((n, t) => n + t.count, 0);
let outOfOrder = 0;

targets.forEach((target, ti) => {
  const url = new URL(target.url);
  for (let i = 0; i < target.count; i++) {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) }, () => {
      socket.setNoDelay(true);
      const auth = target.token ? `Authorization: Bearer ${target.token}\r\n` : '';
      socket.write(
        `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n${auth}Accept: text/event-stream\r\n\r\n`,
      );
    });
    let headersSeen = false;
    let lastSeq = -1;
    // TCP may split a frame anywhere (a full socket buffer flushes part of a write): only
    // complete frames (ending in a blank line) are parsed; the tail waits for the next chunk.
    let carry: Buffer | null = null;
    socket.on('error', (err) => process.send?.({ error: String(err) }));
    socket.on('data', (chunk: Buffer) => {
      const now = wallMs();
      if (!headersSeen) {
        headersSeen = true;
        if (++open === total) process.send?.({ ready: true });
      }
      const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
      const end = buf.lastIndexOf(FRAME_END);
      if (end < 0) {
        carry = buf;
        return;
      }
      carry = end + FRAME_END.length < buf.length ? buf.subarray(end + FRAME_END.length) : null;
      // Usually one frame per event and per chunk; scan every mark in the complete part anyway.
      let at = buf.indexOf(MARK);
      while (at >= 0 && at < end) {
        const seqAt = buf.lastIndexOf(SEQ, at);
        if (seqAt >= 0) {
          const seq = Number.parseInt(buf.toString('latin1', seqAt + SEQ.length, at - 1), 10);
          if (lastSeq >= 0 && seq !== lastSeq + 1) outOfOrder++;
          lastSeq = seq;
        }
        const idAt = buf.indexOf(ID, at);
        if (idAt < 0 || idAt > end) break;
        const start = idAt + ID.length;
        const id = buf.toString('latin1', start, start + 36);
        const p = pending.get(id) ?? { count: 0, last: 0 };
        p.count++;
        p.last = Math.max(p.last, now);
        if (p.count === target.count) {
          pending.delete(id);
          process.send?.({ done: id, target: ti, last: p.last });
        } else pending.set(id, p);
        at = buf.indexOf(MARK, start);
      }
    });
  }
});

process.on('message', (msg: { report?: boolean }) => {
  if (msg.report) process.send?.({ outOfOrder, incomplete: pending.size }, () => process.exit(0));
});
