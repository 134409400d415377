import { z } from 'zod';

/** Every error answer has this shape (DESIGN §5). */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const Timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 timestamp');

/** Ids we hand out are UUIDs; anything else is answered 404 like an unknown id. */
export const Id = z.string().min(1).max(64);

/** Names and AWS identifiers: bounded, printable, no control characters. */
export const Name = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\w.:/@+-]+$/, 'letters, digits and . _ - : / @ + only');

export const InstanceType = z
  .string()
  .min(2)
  .max(32)
  .regex(/^[a-z0-9-]+\.[a-z0-9-]+$/, 'an EC2 instance type such as t3.medium');

export const AvailabilityZone = z
  .string()
  .min(2)
  .max(32)
  .regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'an availability zone such as us-east-1a');

export const Region = z
  .string()
  .min(2)
  .max(32)
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'a region such as us-east-1');

export const CloudInstanceId = z
  .string()
  .min(3)
  .max(40)
  .regex(/^i-[0-9a-f]+$/, 'an EC2 instance id such as i-0abc123');

export const Metadata = z.record(z.string(), z.unknown());
