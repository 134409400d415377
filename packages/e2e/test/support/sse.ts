import http from 'node:http';

export interface StreamEvent {
  id: string | null;
  type: string;
  data: { type?: string; data?: Record<string, unknown>; timestamp?: string; [k: string]: unknown };
  /** performance.now() when the frame arrived (benchmarks). */
  receivedAt: number;
}

/**
 * A light SSE client on a raw socket (the server's SSE route, Authorization header, no
 * token in the URL). Keeps every event; tests and the benchmark wait on them.
 */
export class SseStream {
  readonly events: StreamEvent[] = [];
  private listeners: (() => void)[] = [];
  private req: http.ClientRequest | null = null;

  static open(serverUrl: string, clientId: string, token: string): Promise<SseStream> {
    const s = new SseStream();
    return new Promise((resolve, reject) => {
      const url = new URL(`/api/events/stream/${clientId}`, serverUrl);
      s.req = http.get(
        url,
        { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
        (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`SSE answered ${res.statusCode}`));
            res.resume();
            return;
          }
          res.setEncoding('utf8');
          let buf = '';
          res.on('data', (chunk: string) => {
            buf += chunk;
            let i = buf.indexOf('\n\n');
            while (i >= 0) {
              s.frame(buf.slice(0, i));
              buf = buf.slice(i + 2);
              i = buf.indexOf('\n\n');
            }
          });
          resolve(s);
        },
      );
      s.req.on('error', (err) => reject(err));
    });
  }

  private frame(text: string): void {
    let id: string | null = null;
    let type = 'message';
    const data: string[] = [];
    for (const line of text.split('\n')) {
      if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('event:')) type = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length === 0) return;
    let parsed: StreamEvent['data'];
    try {
      parsed = JSON.parse(data.join('\n')) as StreamEvent['data'];
    } catch {
      return;
    }
    this.events.push({ id, type, data: parsed, receivedAt: performance.now() });
    for (const l of this.listeners) l();
  }

  /** The first event (past or future) that matches. */
  waitFor(match: (e: StreamEvent) => boolean, timeoutMs = 30_000): Promise<StreamEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.events.find(match);
        if (hit) {
          cleanup();
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `no matching SSE event within ${timeoutMs} ms (${this.events.map((e) => e.type).join(', ')})`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
      };
      this.listeners.push(check);
      check();
    });
  }

  close(): void {
    this.req?.destroy();
  }
}
