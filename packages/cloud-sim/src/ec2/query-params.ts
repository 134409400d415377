// EC2 Query parameters: a flat form (`InstanceId.1`, `Filter.1.Value.2`, `Placement.AvailabilityZone`)
// read back into lists and structures, with EC2's validation errors for missing or bad values.

import { Ec2Error } from '../core/ec2-error.ts';

export type Params = Map<string, string>;

export function parseParams(...sources: URLSearchParams[]): Params {
  const p: Params = new Map();
  for (const src of sources) for (const [k, v] of src) p.set(k, v);
  return p;
}

export function str(p: Params, name: string): string | undefined {
  return p.get(name);
}

export function required(p: Params, name: string): string {
  const v = p.get(name);
  if (v === undefined || v === '')
    throw new Ec2Error('MissingParameter', `The request must contain the parameter ${name}`);
  return v;
}

/** `prefix.1`, `prefix.2`, … in index order. */
export function list(p: Params, prefix: string): string[] {
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)$`);
  const found: [number, string][] = [];
  for (const [k, v] of p) {
    const m = re.exec(k);
    if (m) found.push([Number(m[1]), v]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

/** `prefix.N.rest=v` grouped by N into sub-parameter maps of `rest=v`, in index order. */
export function structList(p: Params, prefix: string): Params[] {
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)\\.(.+)$`);
  const groups = new Map<number, Params>();
  for (const [k, v] of p) {
    const m = re.exec(k);
    if (!m) continue;
    const n = Number(m[1]);
    let g = groups.get(n);
    if (!g) {
      g = new Map();
      groups.set(n, g);
    }
    g.set(m[2]!, v);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
}

export function int(p: Params, name: string, min: number, max: number): number | undefined {
  const v = p.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || n < min || n > max) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Value (${v}) for parameter ${name} is invalid. Expected an integer from ${min} to ${max}.`,
    );
  }
  return n;
}

export function bool(p: Params, name: string): boolean {
  const v = p.get(name);
  if (v === undefined) return false;
  if (v !== 'true' && v !== 'false') {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Value (${v}) for parameter ${name} is invalid. Expected true or false.`,
    );
  }
  return v === 'true';
}

export function time(p: Params, name: string): number | undefined {
  const v = p.get(name);
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (!/^\d{4}-\d\d-\d\d/.test(v) || Number.isNaN(t)) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Value (${v}) for parameter ${name} is invalid. Expected an ISO-8601 time.`,
    );
  }
  return t;
}

export interface Filter {
  name: string;
  values: string[];
}

export function filters(p: Params): Filter[] {
  return structList(p, 'Filter').map((g) => {
    const name = g.get('Name');
    if (!name) throw new Ec2Error('InvalidParameterValue', 'Every filter must have a Name.');
    return { name, values: list(g, 'Value') };
  });
}

const INSTANCE_ID_RE = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** Instance ids: malformed ones fail first (EC2 order), then the caller checks existence. */
export function instanceIds(p: Params, prefix = 'InstanceId'): string[] {
  const ids = list(p, prefix);
  const bad = ids.find((id) => !INSTANCE_ID_RE.test(id));
  if (bad !== undefined) throw new Ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${bad}"`);
  return ids;
}

/** A single, required instance id parameter (e.g. DescribeInstanceAttribute's `InstanceId`). */
export function instanceId(p: Params, name = 'InstanceId'): string {
  const id = required(p, name);
  if (!INSTANCE_ID_RE.test(id)) throw new Ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
  return id;
}

export function notFound(missing: string[]): Ec2Error {
  return missing.length === 1
    ? new Ec2Error('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`)
    : new Ec2Error('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
}

/** EC2 filter values accept `*` and `?` wildcards. */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === value;
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(value);
}

/** Opaque pagination tokens: base64url JSON, checked on the way back in. */
export function encodeToken(data: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(data)).toString('base64url');
}

export function decodeToken(token: string, kind: string): Record<string, number> {
  try {
    const d = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (d.k === kind && typeof d.o === 'number' && Number.isInteger(d.o) && d.o >= 0)
      return d as Record<string, number>;
  } catch {
    // fall through to the EC2 error
  }
  throw new Ec2Error('InvalidPaginationToken', `The pagination token '${token}' is invalid.`);
}

export function dryRun(p: Params): void {
  if (bool(p, 'DryRun')) {
    throw new Ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
  }
}
