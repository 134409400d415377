// startCloudSim: the programmatic entry point (the CLI, the demo and tests all start here).

import type { AddressInfo } from 'node:net';
import { createSimClock } from './core/clock.ts';
import { Simulator } from './core/simulator.ts';
import { checkTarget, EventBridgeForwarder } from './eventbridge/forwarder.ts';
import { createSimServer, type LogFn } from './http/server.ts';
import { ImdsTokens } from './imds/tokens.ts';
import { DEFAULT_ONDEMAND_PRICES, DEFAULT_SPOT_PRICES, loadCatalog } from './load-prices.ts';

export interface CloudSimOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Simulated seconds per real second (default 1). */
  speed?: number;
  /** Seed of every random choice (ids, hazard hits); default 1. */
  seed?: number;
  region?: string;
  /** Spot price traces (spotdata CSV format); default: the shipped synthetic us-east-1 set. */
  priceFiles?: string[];
  /** On-demand prices (`region,instance_type,ondemand_price_usd`); default: the shipped list. */
  onDemandPriceFiles?: string[];
  /**
   * Give every known type in every zone without a trace SYNTHETIC spot prices (default true); false
   * keeps only the traced pools (e.g. a replay of real data).
   */
  syntheticPrices?: boolean;
  /** Interruption hazard per simulated hour for every pool (default 0). */
  hazardPerHour?: number;
  /** Boot delay for every pool (default: 20–45 s, stable per pool). */
  bootDelaySeconds?: number;
  shutdownDelaySeconds?: number;
  rebalanceLeadSeconds?: number;
  /** The simulated clock's reading at start (default: now). Times the APIs hand out are wall-clock regardless. */
  startTime?: Date;
  /** Structured log lines (default: none). */
  log?: LogFn;
  /**
   * The real time source, epoch ms (default Date.now). Tests inject a manual one to drive the
   * simulated clock (and IMDS token lifetimes) without sleeping against real time.
   */
  realNow?: () => number;
  /**
   * Where to POST the EC2 events as EventBridge envelopes (interruption warnings, rebalance
   * recommendations, state changes); default: nowhere.
   */
  eventbridgeUrl?: string;
  /** Headers added to every EventBridge POST (e.g. an API key). */
  eventbridgeHeaders?: Record<string, string>;
  /** Real ms before the first EventBridge retry (doubled after each); default 250. */
  eventbridgeRetryDelayMs?: number;
}

export interface CloudSimHandle {
  url: string;
  port: number;
  /** The simulation itself, for in-process inspection. */
  simulator: Simulator;
  /**
   * Sends the EventBridge events that have happened by now and resolves once every queued one is
   * delivered or given up (tests use it instead of waiting on the real clock). No-op without a target.
   */
  flushEvents(): Promise<void>;
  close(): Promise<void>;
}

export async function startCloudSim(options: CloudSimOptions = {}): Promise<CloudSimHandle> {
  if (options.eventbridgeUrl !== undefined)
    checkTarget(options.eventbridgeUrl, options.eventbridgeHeaders ?? {});
  const clock = createSimClock({
    speed: options.speed ?? 1,
    start: options.startTime?.getTime(),
    realNow: options.realNow,
  });
  const catalog = loadCatalog({
    region: options.region ?? 'us-east-1',
    simStart: clock.now(),
    priceFiles: options.priceFiles?.length ? options.priceFiles : [DEFAULT_SPOT_PRICES],
    onDemandFiles: options.onDemandPriceFiles?.length
      ? options.onDemandPriceFiles
      : [DEFAULT_ONDEMAND_PRICES],
    bootDelaySeconds: options.bootDelaySeconds,
    hazardPerHour: options.hazardPerHour ?? 0,
    seed: options.seed ?? 1,
    syntheticPrices: options.syntheticPrices,
  });
  const simulator = new Simulator({
    clock,
    catalog,
    seed: options.seed ?? 1,
    shutdownDelaySeconds: options.shutdownDelaySeconds,
    rebalanceLeadSeconds: options.rebalanceLeadSeconds,
  });
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  const events =
    options.eventbridgeUrl !== undefined
      ? new EventBridgeForwarder({
          sim: simulator,
          url: options.eventbridgeUrl,
          headers: options.eventbridgeHeaders ?? {},
          log,
          retryDelayMs: options.eventbridgeRetryDelayMs,
        })
      : undefined;
  let url = '';
  const server = createSimServer({
    sim: simulator,
    tokens: new ImdsTokens(options.realNow),
    baseUrl: () => url,
    log,
    eventDeliveries: events ? () => events.log() : undefined,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  events?.start();
  const port = (server.address() as AddressInfo).port;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    port,
    simulator,
    flushEvents: () => events?.flush() ?? Promise.resolve(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        events?.stop();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
