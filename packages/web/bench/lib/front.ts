import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

export interface Front {
  url: string;
  /** Cuts every open connection through the front (the event stream included). */
  dropAll(): void;
  /** While set, new event-stream requests are cut at once (`reset`) or answered 503. */
  blockEvents(mode: 'reset' | '503' | null): void;
  /** Event-stream requests seen, with the resume point each carried. */
  streamRequests: { lastEventIdHeader: string | null; url: string }[];
  close(): Promise<void>;
}

/**
 * A same-origin front for browser tests and benchmarks: serves the built dashboard and
 * passes /api, /health to the server. It exists so a test can cut the browser's live
 * connection the way a flaky network would, then watch the dashboard resume.
 */
export async function startFront(apiUrl: string, distDir: string): Promise<Front> {
  const DIST = resolve(distDir);
  const api = new URL(apiUrl);
  const sockets = new Set<Socket>();
  let block: 'reset' | '503' | null = null;
  const streamRequests: Front['streamRequests'] = [];

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (/^\/(api|health|metrics)(\/|$)/.test(path)) {
      if (path.startsWith('/api/events/stream/')) {
        const h = req.headers['last-event-id'];
        streamRequests.push({ lastEventIdHeader: typeof h === 'string' ? h : null, url: req.url ?? '' });
        if (block === 'reset') return req.socket.destroy();
        if (block === '503') {
          res.writeHead(503, { 'content-type': 'application/json' });
          return res.end('{"error":{"code":"UNAVAILABLE","message":"blocked by test"}}');
        }
      }
      return proxy(req, res);
    }
    serveStatic(path, res);
  });

  function proxy(req: IncomingMessage, res: import('node:http').ServerResponse) {
    const upstream = httpRequest(
      {
        host: api.hostname,
        port: api.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: api.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }

  function serveStatic(path: string, res: import('node:http').ServerResponse) {
    let file = normalize(join(DIST, decodeURIComponent(path)));
    if (!file.startsWith(DIST)) {
      res.writeHead(400).end();
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(DIST, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(500).end('dashboard not built: run `npx vite build` in packages/web');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  }

  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    streamRequests,
    dropAll() {
      for (const s of sockets) s.destroy();
    },
    blockEvents(mode) {
      block = mode;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
