// The simulated EC2 region: instances, launches, terminations, capacity outages, injected faults and
// spot interruptions. Pure logic: it reads time from the injected clock and randomness from the seeded
// RNG, and knows nothing of HTTP or XML.

import { AddressBook } from './addresses.ts';
import type { Catalog } from './catalog.ts';
import type { SimClock } from './clock.ts';
import { Ec2Error, type Ec2ErrorCode } from './ec2-error.ts';
import { type Market, type SimInstance, stateAt } from './instance.ts';
import { poolKey } from './prices.ts';
import { createRng, exponential, hashString, type Rng, randomHex } from './rng.ts';
import type { UserData } from './user-data.ts';

export const OWNER_ID = '123456789012';
const HOUR_MS = 3_600_000;

export interface SimulatorOptions {
  clock: SimClock;
  catalog: Catalog;
  seed: number;
  /** Simulated seconds spent in shutting-down (default 5). */
  shutdownDelaySeconds?: number;
  /** Simulated seconds between a hazard's rebalance recommendation and its termination notice (default 240). */
  rebalanceLeadSeconds?: number;
}

export interface LaunchRequest {
  imageId: string;
  instanceType: string;
  az?: string;
  market: Market;
  maxPrice?: number;
  minCount: number;
  maxCount: number;
  clientToken?: string;
  tags: [string, string][];
  userData?: UserData;
  /** Canonical form of the request, to detect a reused ClientToken with other parameters. */
  fingerprint: string;
}

export interface Reservation {
  reservationId: string;
  instances: SimInstance[];
}

export interface Outage {
  instanceType: string;
  az: string;
  errorCode: Ec2ErrorCode;
  until?: number;
}

export interface Fault {
  errorCode: Ec2ErrorCode;
  remaining: number;
}

export class Simulator {
  readonly clock: SimClock;
  readonly catalog: Catalog;
  readonly shutdownDelayMs: number;
  readonly rebalanceLeadMs: number;
  /** Elastic IPs of the simulated account. */
  readonly addresses: AddressBook;
  private readonly rng: Rng;
  private readonly seed: number;
  private readonly instances = new Map<string, SimInstance>();
  private readonly instanceRngs = new Map<string, Rng>();
  private readonly tokens = new Map<string, { fingerprint: string; reservationId: string; ids: string[] }>();
  private readonly outages = new Map<string, Outage>();
  private readonly faults = new Map<string, Fault[]>();

  constructor(options: SimulatorOptions) {
    this.clock = options.clock;
    this.catalog = options.catalog;
    this.seed = options.seed;
    this.rng = createRng(options.seed);
    this.shutdownDelayMs = (options.shutdownDelaySeconds ?? 5) * 1000;
    this.rebalanceLeadMs = (options.rebalanceLeadSeconds ?? 240) * 1000;
    this.addresses = new AddressBook(options.seed, {
      now: () => this.now(),
      instance: (id) => this.instances.get(id),
    });
  }

  now(): number {
    return this.clock.now();
  }

  // ---- instances ---------------------------------------------------------------------------------

  list(): SimInstance[] {
    return [...this.instances.values()];
  }

  get(id: string): SimInstance | undefined {
    return this.instances.get(id);
  }

  private newId(prefix: string, hexLength: number): string {
    return `${prefix}-${randomHex(this.rng, hexLength)}`;
  }

  private checkPool(instanceType: string, az: string, market: Market): void {
    if (!this.catalog.hasType(instanceType)) {
      throw new Ec2Error('InvalidParameterValue', `Invalid value '${instanceType}' for InstanceType.`);
    }
    if (!this.catalog.hasAz(az)) {
      throw new Ec2Error('InvalidParameterValue', `Invalid availability zone: [${az}]`);
    }
    if (market === 'spot' && !this.catalog.priceBook.has(instanceType, az)) {
      throw new Ec2Error(
        'Unsupported',
        `There is no Spot market for ${instanceType} in ${az} in this simulation.`,
      );
    }
    if (market === 'on-demand' && this.catalog.onDemandPrice(instanceType) === undefined) {
      throw new Ec2Error(
        'Unsupported',
        `No on-demand price is known for ${instanceType} in this simulation.`,
      );
    }
  }

  /** Without Placement.AvailabilityZone EC2 picks a zone; we pick the cheapest spot pool (or the first zone). */
  private chooseAz(instanceType: string, market: Market, now: number): string {
    const book = this.catalog.priceBook;
    if (market === 'spot') {
      const priced = this.catalog.azs
        .filter((az) => book.has(instanceType, az))
        .map((az) => ({ az, price: book.priceAt(instanceType, az, now)! }))
        .sort((a, b) => a.price - b.price);
      if (priced[0]) return priced[0].az;
    }
    return this.catalog.azs[0]!;
  }

  launch(req: LaunchRequest): Reservation {
    const now = this.now();
    if (req.clientToken !== undefined) {
      const seen = this.tokens.get(req.clientToken);
      if (seen) {
        if (seen.fingerprint !== req.fingerprint) {
          throw new Ec2Error(
            'IdempotentParameterMismatch',
            'The client token you have provided is associated with a resource that has different parameters.',
          );
        }
        return {
          reservationId: seen.reservationId,
          instances: seen.ids.map((id) => this.instances.get(id)!),
        };
      }
    }
    const az = req.az ?? this.chooseAz(req.instanceType, req.market, now);
    this.checkPool(req.instanceType, az, req.market);
    const outage = this.activeOutage(req.instanceType, az, now);
    if (outage) {
      throw new Ec2Error(
        outage.errorCode,
        outage.errorCode === 'InsufficientInstanceCapacity'
          ? `We currently do not have sufficient ${req.instanceType} capacity in the Availability Zone you requested (${az}). Our system will be working on provisioning additional capacity.`
          : `Simulated ${outage.errorCode} for ${req.instanceType} in ${az}.`,
      );
    }
    let maxPrice: number | undefined;
    if (req.market === 'spot') {
      const price = this.catalog.priceBook.priceAt(req.instanceType, az, now)!;
      const od = this.catalog.onDemandPrice(req.instanceType);
      maxPrice = req.maxPrice ?? od;
      // A spot price at or above on-demand means the pool has no spot capacity (see spotdata README).
      if (od !== undefined && price >= od) {
        throw new Ec2Error(
          'InsufficientInstanceCapacity',
          'There is no Spot capacity available that matches your request.',
        );
      }
      if (maxPrice !== undefined && maxPrice < price) {
        throw new Ec2Error(
          'SpotMaxPriceTooLow',
          `Your Spot request price of ${maxPrice} is lower than the minimum required Spot request fulfillment price of ${price}.`,
        );
      }
    }
    const reservationId = this.newId('r', 17);
    const created: SimInstance[] = [];
    for (let i = 0; i < req.maxCount; i++) {
      created.push(
        this.create({
          instanceType: req.instanceType,
          az,
          market: req.market,
          maxPrice,
          imageId: req.imageId,
          clientToken: req.clientToken,
          tags: req.tags,
          userData: req.userData,
          reservationId,
          amiLaunchIndex: i,
          running: false,
        }),
      );
    }
    if (req.clientToken !== undefined) {
      this.tokens.set(req.clientToken, {
        fingerprint: req.fingerprint,
        reservationId,
        ids: created.map((c) => c.id),
      });
    }
    return { reservationId, instances: created };
  }

  /** Creates an instance outright (control API / launch). `running` skips the boot delay. */
  create(spec: {
    instanceType: string;
    az: string;
    market: Market;
    maxPrice?: number;
    imageId?: string;
    clientToken?: string;
    tags?: [string, string][];
    userData?: UserData;
    reservationId?: string;
    amiLaunchIndex?: number;
    running: boolean;
  }): SimInstance {
    this.checkPool(spec.instanceType, spec.az, spec.market);
    const now = this.now();
    const boot = this.catalog.pool(spec.instanceType, spec.az).bootDelaySeconds * 1000;
    const inst: SimInstance = {
      id: this.newId('i', 17),
      reservationId: spec.reservationId ?? this.newId('r', 17),
      imageId: spec.imageId ?? 'ami-0abcdef1234567890',
      instanceType: spec.instanceType,
      az: spec.az,
      market: spec.market,
      maxPrice:
        spec.market === 'spot' ? (spec.maxPrice ?? this.catalog.onDemandPrice(spec.instanceType)) : undefined,
      spotRequestId: spec.market === 'spot' ? this.newId('sir', 8) : undefined,
      clientToken: spec.clientToken,
      tags: new Map(spec.tags ?? []),
      launchTime: now,
      amiLaunchIndex: spec.amiLaunchIndex ?? 0,
      privateIp: `172.31.${Math.floor(this.rng() * 256)}.${1 + Math.floor(this.rng() * 254)}`,
      userData: spec.userData,
      runningAt: spec.running ? now : now + boot,
    };
    this.instances.set(inst.id, inst);
    this.instanceRngs.set(inst.id, createRng(this.seed ^ hashString(inst.id)));
    if (inst.market === 'spot') this.planInterruption(inst, inst.runningAt);
    return inst;
  }

  /**
   * Plans the next automatic interruption of a spot instance from time `from`: the earlier of a hazard
   * hit (exponential waiting time, seeded; memoryless, so re-planning from now is exact) followed by the
   * rebalance lead, and the first moment the trace price exceeds the max price or reaches on-demand.
   */
  private planInterruption(inst: SimInstance, from: number): void {
    const settings = this.catalog.pool(inst.instanceType, inst.az);
    const rng = this.instanceRngs.get(inst.id)!;
    const hazardNotice = from + exponential(rng, settings.hazardPerHour) * HOUR_MS + this.rebalanceLeadMs;
    const od = this.catalog.onDemandPrice(inst.instanceType);
    const max = inst.maxPrice ?? Number.POSITIVE_INFINITY;
    const priceNotice =
      this.catalog.priceBook.firstTimeWhere(
        inst.instanceType,
        inst.az,
        from,
        (p) => p > max || (od !== undefined && p >= od),
      ) ?? Number.POSITIVE_INFINITY;
    const noticeAt = Math.min(hazardNotice, priceNotice);
    const now = this.now();
    const keepRebalance =
      inst.rebalanceAt !== undefined && inst.rebalanceAt <= now ? inst.rebalanceAt : undefined;
    if (!Number.isFinite(noticeAt)) {
      inst.rebalanceAt = keepRebalance;
      inst.noticeAt = inst.actionTime = inst.shutdownAt = inst.terminatedAt = undefined;
      inst.autoInterruption = undefined;
      inst.endReason = undefined;
      return;
    }
    this.scheduleNotice(inst, noticeAt, 120_000);
    inst.rebalanceAt = keepRebalance ?? Math.max(from, noticeAt - this.rebalanceLeadMs);
    inst.autoInterruption = true;
  }

  private scheduleNotice(inst: SimInstance, noticeAt: number, noticeMs: number): void {
    inst.noticeAt = noticeAt;
    inst.actionTime = noticeAt + noticeMs;
    inst.shutdownAt = inst.actionTime;
    inst.terminatedAt = inst.actionTime + this.shutdownDelayMs;
    inst.endReason = 'spot';
  }

  /** Whether an interruption (notice) is already visible or the instance is already going away. */
  private interruptionStarted(inst: SimInstance, now: number): boolean {
    return (
      (inst.noticeAt !== undefined && inst.noticeAt <= now) ||
      (inst.shutdownAt !== undefined && inst.shutdownAt <= now)
    );
  }

  /** TerminateInstances: returns [previous, current] state names per instance. */
  terminate(id: string): { previous: string; current: string } {
    const inst = this.instances.get(id)!;
    const now = this.now();
    const previous = stateAt(inst, now);
    if (previous === 'running' || previous === 'pending') {
      inst.shutdownAt = now;
      inst.terminatedAt = now + this.shutdownDelayMs;
      inst.endReason = 'user';
      inst.autoInterruption = undefined;
      if (inst.noticeAt !== undefined && inst.noticeAt > now) inst.noticeAt = inst.actionTime = undefined;
      if (inst.rebalanceAt !== undefined && inst.rebalanceAt > now) inst.rebalanceAt = undefined;
    }
    return { previous, current: stateAt(inst, now) };
  }

  /** Control: a rebalance recommendation now. */
  rebalance(id: string): SimInstance {
    const inst = this.requireLiveSpot(id);
    const now = this.now();
    if (inst.rebalanceAt === undefined || inst.rebalanceAt > now) inst.rebalanceAt = now;
    return inst;
  }

  /** Control: an interruption notice now, the action `noticeSeconds` (simulated) later. */
  interrupt(id: string, noticeSeconds: number): SimInstance {
    const inst = this.requireLiveSpot(id);
    const now = this.now();
    if (this.interruptionStarted(inst, now)) {
      throw new SimConflict('already_interrupted', `instance ${id} already has an interruption notice`);
    }
    this.scheduleNotice(inst, now, noticeSeconds * 1000);
    inst.autoInterruption = undefined;
    return inst;
  }

  private requireLiveSpot(id: string): SimInstance {
    const inst = this.instances.get(id);
    if (!inst) throw new SimConflict('not_found', `instance ${id} does not exist`, 404);
    if (inst.market !== 'spot')
      throw new SimConflict('not_spot', `instance ${id} is on-demand; only spot instances are interrupted`);
    const state = stateAt(inst, this.now());
    if (state === 'shutting-down' || state === 'terminated') {
      throw new SimConflict('invalid_state', `instance ${id} is ${state}`);
    }
    return inst;
  }

  setTags(id: string, tags: [string, string][]): void {
    const inst = this.instances.get(id)!;
    for (const [k, v] of tags) inst.tags.set(k, v);
  }

  // ---- pools, outages and faults -----------------------------------------------------------------

  updatePool(instanceType: string, az: string, patch: { bootDelaySeconds?: number; hazardPerHour?: number }) {
    const settings = this.catalog.updatePool(instanceType, az, patch);
    if (patch.hazardPerHour !== undefined) {
      const now = this.now();
      for (const inst of this.instances.values()) {
        if (inst.market !== 'spot' || inst.instanceType !== instanceType || inst.az !== az) continue;
        if (this.interruptionStarted(inst, now)) continue;
        if (inst.noticeAt !== undefined && !inst.autoInterruption) continue; // a manual notice stands
        this.planInterruption(inst, Math.max(now, inst.runningAt));
      }
    }
    return settings;
  }

  setOutage(outage: Outage): void {
    this.outages.set(poolKey(outage.instanceType, outage.az), outage);
  }

  clearOutage(instanceType: string, az: string): boolean {
    return this.outages.delete(poolKey(instanceType, az));
  }

  activeOutage(instanceType: string, az: string, now = this.now()): Outage | undefined {
    const o = this.outages.get(poolKey(instanceType, az));
    if (!o) return undefined;
    if (o.until !== undefined && o.until <= now) {
      this.outages.delete(poolKey(instanceType, az));
      return undefined;
    }
    return o;
  }

  listOutages(): Outage[] {
    const now = this.now();
    return [...this.outages.values()].filter((o) => this.activeOutage(o.instanceType, o.az, now));
  }

  addFault(action: string, errorCode: Ec2ErrorCode, count: number): void {
    const list = this.faults.get(action) ?? [];
    list.push({ errorCode, remaining: count });
    this.faults.set(action, list);
  }

  /** The injected error for this call of `action`, if any is left (consumes one). */
  takeFault(action: string): Ec2Error | undefined {
    const list = this.faults.get(action);
    const head = list?.[0];
    if (!list || !head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) list.shift();
    return new Ec2Error(head.errorCode, `Simulated ${head.errorCode} (injected fault).`);
  }
}

/** A control-API refusal (bad state, not found): the HTTP layer maps it to 404/409 JSON. */
export class SimConflict extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 409,
  ) {
    super(message);
    this.name = 'SimConflict';
  }
}
