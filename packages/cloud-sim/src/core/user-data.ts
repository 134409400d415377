// Instance user data: EC2 takes it base64-encoded (RunInstances `UserData`) and limits it to 16 KB
// before encoding; IMDS and the control API hand back the decoded text.

import { Ec2Error } from './ec2-error.ts';

export const MAX_USER_DATA_BYTES = 16 * 1024;

export interface UserData {
  /** The decoded bytes as UTF-8 text (what a launcher such as cloud-init reads). */
  text: string;
  /** Canonical base64 of the bytes (what DescribeInstanceAttribute returns). */
  base64: string;
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** RunInstances' `UserData`: base64 (line breaks allowed, as MIME encoders write them) of ≤ 16 KB. */
export function decodeUserData(encoded: string): UserData {
  const compact = encoded.replace(/[\r\n]/g, '');
  if (!BASE64_RE.test(compact))
    throw new Ec2Error('InvalidParameterValue', 'Invalid BASE64 encoding of user data.');
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length > MAX_USER_DATA_BYTES)
    throw new Ec2Error(
      'InvalidParameterValue',
      `User data is limited to ${MAX_USER_DATA_BYTES} bytes (got ${bytes.length} after decoding).`,
    );
  return { text: bytes.toString('utf8'), base64: bytes.toString('base64') };
}

/** User data given as plain text (the control API): the same size limit. */
export function userDataFromText(text: string): UserData {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > MAX_USER_DATA_BYTES)
    throw new Ec2Error('InvalidParameterValue', `User data is limited to ${MAX_USER_DATA_BYTES} bytes.`);
  return { text, base64: bytes.toString('base64') };
}
