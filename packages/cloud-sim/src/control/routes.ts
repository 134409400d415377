// The /_sim control API: inspect and steer the simulation (JSON in, JSON out). Routes translate HTTP
// to Simulator calls and back; every refusal is `{"error":{"code","message"}}`.

import type { z } from 'zod';
import { computeBill } from '../core/billing.ts';
import { wallIsoExact, wallIsoMillis } from '../core/clock.ts';
import { Ec2Error, type Ec2ErrorCode } from '../core/ec2-error.ts';
import { SimConflict, type Simulator } from '../core/simulator.ts';
import { userDataFromText } from '../core/user-data.ts';
import { addressJson } from './address-json.ts';
import { instanceJson } from './instance-json.ts';
import {
  createInstanceBody,
  describeIssues,
  emptyBody,
  faultBody,
  interruptBody,
  outageBody,
  outageQuery,
  poolBody,
} from './schemas.ts';

export interface ControlReply {
  status: number;
  body: unknown;
}

export interface ControlRequest {
  method: string;
  /** Path after `/_sim`, e.g. `/instances/i-…/interrupt`. */
  path: string;
  query: URLSearchParams;
  /** Parsed JSON body; `undefined` when empty. */
  body: unknown;
}

const fail = (status: number, code: string, message: string): ControlReply => ({
  status,
  body: { error: { code, message } },
});

class BadInput extends Error {}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new BadInput(describeIssues(r.error));
  return r.data;
}

function requirePool(sim: Simulator, instanceType: string, az: string): void {
  if (!sim.catalog.hasType(instanceType))
    throw new SimConflict('unknown_pool', `unknown instance type ${instanceType}`, 400);
  if (!sim.catalog.hasAz(az)) throw new SimConflict('unknown_pool', `unknown availability zone ${az}`, 400);
}

/**
 * Every pool with its current prices. With the full catalogue that is some 500 entries, so
 * `?instance_type=a,b&availability_zone=…` narrow it down (comma-separated, exact names).
 */
function poolsJson(sim: Simulator, query: URLSearchParams) {
  const now = sim.now();
  const book = sim.catalog.priceBook;
  const wanted = (name: string) => {
    const raw = query.get(name);
    return raw ? new Set(raw.split(',').map((v) => v.trim())) : undefined;
  };
  const types = wanted('instance_type');
  const zones = wanted('availability_zone');
  const out = [];
  for (const instance_type of sim.catalog.instanceTypes) {
    if (types && !types.has(instance_type)) continue;
    for (const availability_zone of sim.catalog.azs) {
      if (zones && !zones.has(availability_zone)) continue;
      const s = sim.catalog.pool(instance_type, availability_zone);
      const outage = sim.activeOutage(instance_type, availability_zone, now);
      out.push({
        instance_type,
        availability_zone,
        spot_price: book.priceAt(instance_type, availability_zone, now) ?? null,
        // SYNTHETIC prices are generated from the on-demand price, not AWS data (see the README)
        price_source: !book.has(instance_type, availability_zone)
          ? null
          : book.isSynthetic(instance_type, availability_zone)
            ? 'synthetic'
            : 'trace',
        on_demand_price: sim.catalog.onDemandPrice(instance_type) ?? null,
        boot_delay_seconds: s.bootDelaySeconds,
        hazard_per_hour: s.hazardPerHour,
        outage: outage
          ? {
              error_code: outage.errorCode,
              until: outage.until ? wallIsoMillis(sim.clock, outage.until) : null,
            }
          : null,
      });
    }
  }
  return out;
}

export interface ControlExtras {
  /** The EventBridge delivery log (absent when no target is configured). */
  eventDeliveries?: () => unknown[];
}

export function handleControl(
  sim: Simulator,
  baseUrl: string,
  req: ControlRequest,
  extras: ControlExtras = {},
): ControlReply {
  const { method, path } = req;
  const now = sim.now();
  const seg = path.split('/').filter(Boolean);
  try {
    if (seg[0] === 'clock' && seg.length === 1) {
      if (method !== 'GET') return fail(405, 'method_not_allowed', 'use GET');
      // `now` is the wall clock (what every other time here is in); `sim_now` the simulated reading.
      return {
        status: 200,
        body: {
          now: wallIsoExact(sim.clock, now),
          sim_now: new Date(now).toISOString(),
          speed: sim.clock.speed,
        },
      };
    }
    if (seg[0] === 'bill' && seg.length === 1) {
      if (method !== 'GET') return fail(405, 'method_not_allowed', 'use GET');
      return { status: 200, body: computeBill(sim.list(), sim.catalog, now) };
    }
    if (seg[0] === 'instances') {
      if (seg.length === 1) {
        if (method === 'GET')
          return {
            status: 200,
            body: { instances: sim.list().map((i) => instanceJson(sim, i, baseUrl, now)) },
          };
        if (method !== 'POST') return fail(405, 'method_not_allowed', 'use GET or POST');
        const b = parse(createInstanceBody, req.body);
        requirePool(sim, b.instance_type, b.availability_zone);
        const inst = sim.create({
          instanceType: b.instance_type,
          az: b.availability_zone,
          market: b.market,
          tags: Object.entries(b.tags),
          userData: b.user_data !== undefined ? userDataFromText(b.user_data) : undefined,
          running: b.running,
        });
        return { status: 201, body: instanceJson(sim, inst, baseUrl) };
      }
      const id = seg[1]!;
      if (seg.length === 2) {
        if (method !== 'GET') return fail(405, 'method_not_allowed', 'use GET');
        const inst = sim.get(id);
        return inst
          ? { status: 200, body: instanceJson(sim, inst, baseUrl, now) }
          : fail(404, 'not_found', `instance ${id} does not exist`);
      }
      if (seg.length === 3 && (seg[2] === 'rebalance' || seg[2] === 'interrupt')) {
        if (method !== 'POST') return fail(405, 'method_not_allowed', 'use POST');
        if (seg[2] === 'rebalance') {
          parse(emptyBody, req.body);
          return { status: 200, body: instanceJson(sim, sim.rebalance(id), baseUrl) };
        }
        const b = parse(interruptBody, req.body);
        return {
          status: 200,
          body: instanceJson(sim, sim.interrupt(id, b.notice_seconds), baseUrl),
        };
      }
    }
    if (seg[0] === 'pools') {
      if (seg.length === 1) {
        if (method === 'GET') return { status: 200, body: { pools: poolsJson(sim, req.query) } };
        if (method !== 'POST') return fail(405, 'method_not_allowed', 'use GET or POST');
        const b = parse(poolBody, req.body);
        requirePool(sim, b.instance_type, b.availability_zone);
        const s = sim.updatePool(b.instance_type, b.availability_zone, {
          bootDelaySeconds: b.boot_delay_seconds,
          hazardPerHour: b.hazard_per_hour,
        });
        return {
          status: 200,
          body: {
            instance_type: b.instance_type,
            availability_zone: b.availability_zone,
            boot_delay_seconds: s.bootDelaySeconds,
            hazard_per_hour: s.hazardPerHour,
          },
        };
      }
      if (seg.length === 2 && seg[1] === 'outage') {
        if (method === 'POST') {
          const b = parse(outageBody, req.body);
          requirePool(sim, b.instance_type, b.availability_zone);
          const until = b.duration_seconds !== undefined ? now + b.duration_seconds * 1000 : undefined;
          sim.setOutage({
            instanceType: b.instance_type,
            az: b.availability_zone,
            errorCode: b.error_code as Ec2ErrorCode,
            until,
          });
          return {
            status: 201,
            body: {
              instance_type: b.instance_type,
              availability_zone: b.availability_zone,
              error_code: b.error_code,
              until: until !== undefined ? wallIsoMillis(sim.clock, until) : null,
            },
          };
        }
        if (method === 'DELETE') {
          const q = parse(outageQuery, Object.fromEntries(req.query));
          return sim.clearOutage(q.instance_type, q.availability_zone)
            ? {
                status: 200,
                body: { ended: true, instance_type: q.instance_type, availability_zone: q.availability_zone },
              }
            : fail(404, 'not_found', `no outage for ${q.instance_type} in ${q.availability_zone}`);
        }
        return fail(405, 'method_not_allowed', 'use POST or DELETE');
      }
    }
    if (seg[0] === 'addresses' && seg.length === 1) {
      // A bare array: every address ever allocated (released ones keep their history).
      if (method === 'GET')
        return { status: 200, body: sim.addresses.all().map((a) => addressJson(a, sim.clock)) };
      if (method !== 'POST') return fail(405, 'method_not_allowed', 'use GET or POST');
      parse(emptyBody, req.body);
      return { status: 201, body: addressJson(sim.addresses.allocate(), sim.clock) };
    }
    if (seg[0] === 'eventbridge' && seg.length === 1) {
      if (method !== 'GET') return fail(405, 'method_not_allowed', 'use GET');
      // Oldest first; empty when no --eventbridge-url is set.
      return { status: 200, body: extras.eventDeliveries?.() ?? [] };
    }
    if (seg[0] === 'faults' && seg.length === 1) {
      if (method !== 'POST') return fail(405, 'method_not_allowed', 'use POST');
      const b = parse(faultBody, req.body);
      sim.addFault(b.action, b.error_code as Ec2ErrorCode, b.count);
      return { status: 201, body: { action: b.action, error_code: b.error_code, count: b.count } };
    }
    return fail(404, 'not_found', `no control route ${method} /_sim${path}`);
  } catch (err) {
    if (err instanceof BadInput) return fail(400, 'bad_request', err.message);
    if (err instanceof SimConflict) return fail(err.status, err.code, err.message);
    // e.g. a spot instance asked for in a pool without a spot price
    if (err instanceof Ec2Error) return fail(400, err.code, err.message);
    throw err;
  }
}
