/**
 * AWS errors as the agent reports them: the EC2 error code (what the server stores on a
 * FAILED instance) and a message. The SDK's errors carry the code in `name` (and `Code`).
 */
export interface AwsFailure {
  code: string;
  message: string;
}

export function awsFailure(err: unknown): AwsFailure {
  const e = err as { name?: string; Code?: string; code?: string; message?: string } | null;
  const code = e?.Code ?? (e?.name && e.name !== 'Error' ? e.name : undefined) ?? e?.code ?? 'UnknownError';
  const message = (e?.message ?? String(err)).slice(0, 1000);
  return { code: String(code).slice(0, 128), message };
}

/** EC2 says the instance id does not exist (or not yet: EC2 is eventually consistent right after RunInstances). */
export function isNotFound(err: unknown): boolean {
  return awsFailure(err).code === 'InvalidInstanceID.NotFound';
}
