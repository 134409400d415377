import { EC2Client } from '@aws-sdk/client-ec2';
import { type CloudSimHandle, type CloudSimOptions, startCloudSim } from '../src/index.ts';

export const started: CloudSimHandle[] = [];

/** Starts a simulator on an ephemeral port (closed by `closeAll`). */
export async function startSim(options: CloudSimOptions = {}): Promise<CloudSimHandle> {
  const sim = await startCloudSim({ port: 0, seed: 7, ...options });
  started.push(sim);
  return sim;
}

/**
 * A real-time source the test moves by hand (pass `now` as `realNow`): simulated time then advances
 * only when the test says so, so no assertion races a busy machine.
 */
export function manualTime(start = Date.parse('2025-06-01T12:00:00.000Z')) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
      return t;
    },
  };
}

export async function closeAll(): Promise<void> {
  await Promise.all(started.splice(0).map((s) => s.close()));
}

export function ec2(url: string, maxAttempts = 1): EC2Client {
  return new EC2Client({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDSIM', secretAccessKey: 'sim-secret' },
    maxAttempts,
  });
}

export async function control(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}/_sim${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Polls `check` until it returns a value (or fails after `timeoutMs` real ms). */
export async function until<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The error an SDK call throws (fails the test if it does not throw). */
export async function sdkError(
  p: Promise<unknown>,
): Promise<{ name: string; status?: number; message: string }> {
  try {
    await p;
  } catch (err: any) {
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  throw new Error('expected the call to fail');
}
