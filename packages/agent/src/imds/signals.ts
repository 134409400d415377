import { z } from 'zod';

/**
 * The two interruption signals IMDS exposes (AWS documentation; DESIGN §8), parsed
 * strictly: a garbled answer is logged and ignored, never acted on.
 */
export const InstanceAction = z.object({
  action: z.enum(['terminate', 'stop', 'hibernate']),
  time: z.iso.datetime({ offset: true }),
});
export type InstanceAction = z.infer<typeof InstanceAction>;

export const RebalanceRecommendation = z.object({
  noticeTime: z.iso.datetime({ offset: true }),
});
export type RebalanceRecommendation = z.infer<typeof RebalanceRecommendation>;

export function parseSignal<T>(schema: z.ZodType<T>, body: string | null): T | null | Error {
  if (body === null) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : new Error(parsed.error.issues[0]?.message ?? 'invalid');
  } catch {
    return new Error('not JSON');
  }
}
