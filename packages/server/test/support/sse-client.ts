import http from 'node:http';

export interface SseEvent {
  id: string | null;
  event: string;
  data: any;
}

/**
 * A minimal SSE reader over node:http: the `eventsource` package costs far more CPU per
 * event, which matters when one test process holds hundreds of streams.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  status = 0;
  private req: http.ClientRequest | null = null;
  private waiters: Array<() => void> = [];
  closed = false;

  static async open(
    url: string,
    headers: Record<string, string> = {},
    onEvent?: (e: SseEvent) => void,
  ): Promise<SseClient> {
    const c = new SseClient();
    await new Promise<void>((resolve, reject) => {
      c.req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        c.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          buf += chunk;
          let idx = buf.indexOf('\n\n');
          while (idx >= 0) {
            const frame = buf.slice(0, idx);
            buf = buf.slice(idx + 2);
            const e = parseFrame(frame);
            if (e) {
              c.events.push(e);
              onEvent?.(e);
              for (const w of c.waiters.splice(0)) w();
            }
            idx = buf.indexOf('\n\n');
          }
        });
        res.on('end', () => {
          c.closed = true;
          for (const w of c.waiters.splice(0)) w();
        });
        resolve();
      });
      c.req.on('error', (err) => (c.closed ? undefined : reject(err)));
    });
    return c;
  }

  /** Waits until `pred` holds over the events received so far. */
  async waitFor(pred: (events: SseEvent[]) => boolean, timeoutMs = 5000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.events)) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closed)
        throw new Error(`SSE wait timed out; got ${this.events.map((e) => e.event).join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.events;
  }

  close(): void {
    this.closed = true;
    this.req?.destroy();
  }
}

function parseFrame(frame: string): SseEvent | null {
  let id: string | null = null;
  let event = 'message';
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith('id: ')) id = line.slice(4);
    else if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  if (data.length === 0) return null;
  return { id, event, data: JSON.parse(data.join('\n')) };
}
