/**
 * Open-loop load: requests go out on a fixed schedule (rate per second) whether or not
 * earlier ones have answered, and each is timed from its SCHEDULED send — so a slow server,
 * or a generator falling behind, shows up in the figures instead of quietly lowering the
 * offered rate (coordinated omission).
 */
const DRAIN_MS = 10_000;

export async function openLoop(
  rate: number,
  seconds: number,
  send: (i: number) => Promise<unknown>,
): Promise<{ samples: number[]; errors: number; lastError: string | null }> {
  const total = Math.round(rate * seconds);
  const gap = 1000 / rate;
  const samples: number[] = [];
  let errors = 0;
  let lastError: string | null = null;
  const inFlight: Array<Promise<void>> = [];
  const start = performance.now() + 2;
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (i < total && start + i * gap <= now) {
        const scheduled = start + i * gap;
        inFlight.push(
          send(i).then(
            () => void samples.push(performance.now() - scheduled),
            (err) => {
              errors++;
              lastError = String(err);
            },
          ),
        );
        i++;
      }
      if (i < total) setTimeout(tick, Math.max(0, start + i * gap - performance.now() - 0.5));
      else resolve();
    };
    tick();
  });
  // A saturated server would otherwise hold the run for minutes: what has not answered
  // DRAIN_MS after the last send counts as failed (and is reported so).
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(inFlight), new Promise((r) => (timer = setTimeout(r, DRAIN_MS)))]);
  clearTimeout(timer);
  const unanswered = total - samples.length - errors;
  if (unanswered > 0) lastError = `${unanswered} unanswered ${DRAIN_MS / 1000} s after the last send`;
  return { samples: [...samples], errors: errors + unanswered, lastError };
}
