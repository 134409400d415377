// Child process of the SSE benchmark: holds N SSE connections on raw TCP sockets (the
// http module's per-chunk stream machinery would be most of what we measure) and records
// when each INSTANCE_LAUNCHING frame arrived, per connection (wall clock, µs resolution).
import net from 'node:net';
import { wallMs } from './stats.ts';

const [urlArg, token, countArg] = process.argv.slice(2);
const url = new URL(urlArg!);
const count = Number(countArg);
const received: Array<[string, number]> = [];
const MARK = Buffer.from('event: INSTANCE_LAUNCHING');
const ID = Buffer.from('"instance_id":"');
let open = 0;

for (let i = 0; i < count; i++) {
  const socket = net.connect({ host: url.hostname, port: Number(url.port) }, () => {
    socket.setNoDelay(true);
    socket.write(
      `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`,
    );
  });
  let headersSeen = false;
  socket.on('data', (chunk: Buffer) => {
    const now = wallMs();
    if (!headersSeen) {
      headersSeen = true;
      open++;
      if (open === count) process.send?.({ ready: true });
    }
    // One frame per event and per chunk in practice; scan every mark in the chunk anyway.
    let at = chunk.indexOf(MARK);
    while (at >= 0) {
      const idAt = chunk.indexOf(ID, at);
      if (idAt < 0) break;
      const start = idAt + ID.length;
      received.push([chunk.toString('latin1', start, start + 36), now]);
      at = chunk.indexOf(MARK, start);
    }
  });
}

process.on('message', (msg: { report?: boolean }) => {
  if (msg.report) process.send?.({ received }, () => process.exit(0));
});
