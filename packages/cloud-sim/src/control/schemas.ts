// Request bodies of the /_sim control API. Strict: an unknown field is a mistake worth a 400.

import { z } from 'zod';
import { EC2_ERROR_CODES } from '../core/ec2-error.ts';
import { ACTION_NAMES } from '../ec2/dispatch.ts';

const instanceType = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/, 'not an instance type');
const az = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'not an availability zone');
const errorCode = z.enum(EC2_ERROR_CODES as [string, ...string[]]);

export const createInstanceBody = z.strictObject({
  instance_type: instanceType,
  availability_zone: az,
  market: z.enum(['spot', 'on-demand']).default('spot'),
  tags: z
    .record(z.string().min(1).max(128), z.string().max(256))
    .refine((t) => Object.keys(t).length <= 50, 'at most 50 tags')
    .default({}),
  running: z.boolean().default(false),
  /** Plain text (the control API is JSON; EC2's base64 is only for RunInstances). */
  user_data: z.string().optional(),
});

export const interruptBody = z.strictObject({
  notice_seconds: z.number().int().min(0).max(3600).default(120),
  action: z.literal('terminate', { message: "only 'terminate' is simulated" }).default('terminate'),
});

/** Routes that take no fields still reject unknown ones (a typo should not pass silently). */
export const emptyBody = z.strictObject({});

export const outageBody = z.strictObject({
  instance_type: instanceType,
  availability_zone: az,
  error_code: errorCode.default('InsufficientInstanceCapacity'),
  duration_seconds: z
    .number()
    .positive()
    .max(365 * 86400)
    .optional(),
});

export const outageQuery = z.strictObject({ instance_type: instanceType, availability_zone: az });

export const faultBody = z.strictObject({
  action: z.enum(ACTION_NAMES as [string, ...string[]]),
  error_code: errorCode,
  count: z.number().int().min(1).max(10_000).default(1),
});

export const poolBody = z.strictObject({
  instance_type: instanceType,
  availability_zone: az,
  boot_delay_seconds: z.number().min(0).max(86_400).optional(),
  hazard_per_hour: z.number().min(0).max(3600).optional(),
});

/** "field: problem; field: problem" — short enough for a JSON error message. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
}
