import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { wallMs } from './stats.ts';

/**
 * The machine's floor for an SSE fan-out: a bare `node:http` server that writes the same
 * frame bytes to the same client processes as our server does, one write per socket, with
 * nothing in between (no auth, no bus, no database).
 */
export async function startBareFanout(): Promise<{
  url: string;
  size(): number;
  /** Writes the frame to every socket; returns [start, end] wall-clock ms of the write loop. */
  fanout(frame: string): [number, number];
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    res.useChunkedEncodingByDefault = false;
    res.shouldKeepAlive = false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'close',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    const socket = res.socket!;
    socket.setNoDelay(true);
    socket.write('retry: 2000\n\n');
    sockets.add(socket);
    req.on('close', () => sockets.delete(socket));
  });
  server.maxConnections = 100_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/stream`,
    size: () => sockets.size,
    fanout(frame) {
      const start = wallMs();
      for (const s of sockets) s.write(frame);
      return [start, wallMs()];
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
