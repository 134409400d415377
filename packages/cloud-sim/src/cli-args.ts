// Command-line flags → CloudSimOptions, validated (pure: argv in, options or a message out).

import { parseArgs } from 'node:util';
import { checkTarget, parseHeader } from './eventbridge/forwarder.ts';
import type { CloudSimOptions } from './start.ts';

export const USAGE = `Usage: spot-cloud-sim [options]

A simulated EC2 Query API + IMDSv2 with spot prices, boot delays, capacity errors and interruptions.

Options:
  --port N                    port to listen on (0 = any free port; default 0)
  --host H                    address to bind (default 127.0.0.1)
  --speed F                   simulated seconds per real second (default 1)
  --seed S                    integer seed of every random choice (default 1)
  --region R                  simulated region (default us-east-1)
  --prices FILE               spot price trace CSV (repeatable; default: shipped synthetic set)
  --ondemand-prices FILE      on-demand price CSV region,instance_type,ondemand_price_usd (repeatable)
  --no-synthetic-prices       only pools with a trace (default: every type in every zone, SYNTHETIC
                              spot prices derived from on-demand where there is no trace)
  --hazard-per-hour R         interruption hazard per simulated hour for every pool (default 0)
  --boot-delay-seconds S      boot delay for every pool (default 20-45 s, stable per pool)
  --start-time ISO            simulated clock's reading at start (default now; API times are wall-clock)
  --eventbridge-url URL       POST EC2 events there as EventBridge envelopes (interruption warning,
                              rebalance recommendation, state changes)
  --eventbridge-header 'N: v' header added to those POSTs (repeatable)
  -h, --help                  show this help`;

export type CliParse =
  | { ok: true; options: CloudSimOptions }
  | { ok: false; message: string; help?: boolean };

function num(
  name: string,
  raw: string | undefined,
  check: (n: number) => boolean,
  what: string,
): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new Error(`--${name} must be ${what}, got '${raw}'`);
  return n;
}

export function parseCli(argv: string[]): CliParse {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  const v = parsed.values;
  if (v.help) return { ok: false, message: USAGE, help: true };
  if (parsed.positionals.length > 0)
    return { ok: false, message: `unexpected argument '${parsed.positionals[0]}'` };
  try {
    const startTime = v['start-time'] !== undefined ? new Date(v['start-time']) : undefined;
    if (startTime && Number.isNaN(startTime.getTime()))
      throw new Error(`--start-time must be an ISO time, got '${v['start-time']}'`);
    const headerList = (v['eventbridge-header'] ?? []).map(parseHeader);
    if (headerList.length > 0 && v['eventbridge-url'] === undefined)
      throw new Error('--eventbridge-header needs --eventbridge-url');
    const eventbridgeHeaders = Object.fromEntries(headerList);
    if (v['eventbridge-url'] !== undefined) checkTarget(v['eventbridge-url'], eventbridgeHeaders);
    const region = v.region ?? 'us-east-1';
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
      throw new Error(`--region must look like us-east-1, got '${region}'`);
    return {
      ok: true,
      options: {
        port:
          num('port', v.port, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'an integer 0-65535') ?? 0,
        host: v.host ?? '127.0.0.1',
        speed: num('speed', v.speed, (n) => n > 0 && n <= 100_000, 'a number > 0 and <= 100000') ?? 1,
        seed: num('seed', v.seed, (n) => Number.isSafeInteger(n), 'an integer') ?? 1,
        region,
        priceFiles: v.prices ?? [],
        onDemandPriceFiles: v['ondemand-prices'] ?? [],
        syntheticPrices: !v['no-synthetic-prices'],
        hazardPerHour:
          num('hazard-per-hour', v['hazard-per-hour'], (n) => n >= 0 && n <= 3600, 'a number 0-3600') ?? 0,
        bootDelaySeconds: num(
          'boot-delay-seconds',
          v['boot-delay-seconds'],
          (n) => n >= 0 && n <= 86_400,
          'a number 0-86400',
        ),
        startTime,
        eventbridgeUrl: v['eventbridge-url'],
        eventbridgeHeaders,
      },
    };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      speed: { type: 'string' },
      seed: { type: 'string' },
      region: { type: 'string' },
      prices: { type: 'string', multiple: true },
      'ondemand-prices': { type: 'string', multiple: true },
      'no-synthetic-prices': { type: 'boolean' },
      'hazard-per-hour': { type: 'string' },
      'boot-delay-seconds': { type: 'string' },
      'start-time': { type: 'string' },
      'eventbridge-url': { type: 'string' },
      'eventbridge-header': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
