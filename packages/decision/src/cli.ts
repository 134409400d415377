// `spot-optimizer replay …`: reads price files, runs the policies and the oracle over a window,
// prints a table (or the JSON) and optionally writes an SVG plot. Usage errors and bad
// input data print one clear line on stderr and exit 2.
import { writeFile } from 'node:fs/promises';
import { ModelFileError, readModelFile } from './model/model-file.ts';
import { createModelPolicy } from './model/model-policy.ts';
import { parseIsoSeconds } from './prices/csv.ts';
import { readOnDemand, readSpotPrices } from './prices/read.ts';
import { type PoolSeries, PriceDataError } from './prices/types.ts';
import { buildMarket, MarketError } from './replay/market.ts';
import { plotSvg } from './replay/plot.ts';
import { DEFAULT_POLICIES, REPLAY_POLICY_NAMES, runReplay } from './replay/run.ts';
import { simulateAsync } from './replay/simulate.ts';
import { formatTable } from './replay/table.ts';

export const REPLAY_USAGE = `spot-optimizer replay --prices FILE… --ondemand FILE (--pools TYPE@AZ,… | --instance-type TYPE[,TYPE…])
                      --from ISO --to ISO [options]

Replays decision policies over recorded spot prices (spotdata CSV, .gz accepted) beside a
hindsight oracle, with the exact cost model of issue #10.

Options:
  --overlap-seconds N            a switch bills the target for N seconds (default 300)
  --boot-seconds N               downtime per interruption (default 120)
  --policy NAME…                 any of ${REPLAY_POLICY_NAMES.join(', ')} (default: all four)
  --min-savings-percent N        the rules policy's threshold (default 5)
  --unavailable-memory-seconds N how long rules avoids a pool seen unavailable (default 180)
  --json                         print the result as JSON
  --plot FILE.svg                write prices and each policy's choices as an SVG
  --model FILE.onnx              also run the ONNX model as the policy \`model\` (its contract
                                 from FILE.json beside it when present; the same features
                                 as the server's model engine)

--from/--to take an ISO time with a zone (2016-03-01T00:00:00Z) or a date (UTC midnight).`;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

class UsageError extends Error {}

const MULTI = new Set(['prices', 'policy']);
const VALUED = new Set([
  'prices',
  'ondemand',
  'pools',
  'instance-type',
  'from',
  'to',
  'overlap-seconds',
  'boot-seconds',
  'policy',
  'plot',
  'model',
  'min-savings-percent',
  'unavailable-memory-seconds',
]);
const BOOLEAN = new Set(['json', 'help']);

type Flags = Map<string, string[]>;

/** `--flag value`, `--flag=value`; `--prices` and `--policy` take every value up to the next flag. */
export function parseFlags(argv: readonly string[]): Flags {
  const flags: Flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      flags.set('help', []);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (BOOLEAN.has(name)) {
      if (eq > 0) throw new UsageError(`--${name} takes no value`);
      flags.set(name, []);
      continue;
    }
    if (!VALUED.has(name)) throw new UsageError(`unknown option --${name}`);
    const values = flags.get(name) ?? [];
    if (values.length > 0 && !MULTI.has(name)) throw new UsageError(`--${name} given twice`);
    if (eq > 0) values.push(arg.slice(eq + 1));
    else {
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
        values.push(argv[++i]!);
        if (!MULTI.has(name)) break;
      }
    }
    if (values.length === 0 || values.some((v) => v === '')) throw new UsageError(`--${name} needs a value`);
    flags.set(name, values);
  }
  return flags;
}

function one(flags: Flags, name: string): string | undefined {
  return flags.get(name)?.[0];
}

function required(flags: Flags, name: string): string {
  const v = one(flags, name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

function time(flags: Flags, name: string): number {
  const text = required(flags, name);
  const t = /^\d{4}-\d{2}-\d{2}$/.test(text) ? parseIsoSeconds(`${text}T00:00:00Z`) : parseIsoSeconds(text);
  if (t === undefined)
    throw new UsageError(`--${name} "${text}" is not an ISO time with a zone (e.g. 2016-03-01T00:00:00Z)`);
  return t;
}

function seconds(flags: Flags, name: string, fallback: number): number {
  const text = one(flags, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(n))
    throw new UsageError(`--${name} "${text}" is not a non-negative number`);
  return n;
}

const list = (values: readonly string[]) =>
  values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);

interface Selection {
  accept: (type: string, az: string) => boolean;
  pick: (all: Map<string, PoolSeries>) => PoolSeries[];
}

function selection(flags: Flags): Selection {
  const pools = flags.get('pools');
  const types = flags.get('instance-type');
  if ((pools === undefined) === (types === undefined))
    throw new UsageError('give exactly one of --pools and --instance-type');
  if (pools) {
    const keys = list(pools);
    for (const k of keys)
      if (!/^[^@\s]+@[^@\s]+$/.test(k)) throw new UsageError(`--pools "${k}" is not TYPE@AZ`);
    const wanted = new Set(keys);
    return {
      accept: (type, az) => wanted.has(`${type}@${az}`),
      pick: (all) =>
        [...wanted].map((k) => {
          const s = all.get(k);
          if (!s) throw new UsageError(`pool ${k} has no rows in the price files`);
          return s;
        }),
    };
  }
  const wanted = new Set(list(types!));
  return {
    accept: (type) => wanted.has(type),
    pick: (all) => {
      const found = [...all.values()].filter((s) => wanted.has(s.instanceType));
      for (const t of wanted) {
        if (!found.some((s) => s.instanceType === t))
          throw new UsageError(`instance type ${t} has no rows in the price files`);
      }
      return found;
    },
  };
}

export async function runReplayCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    const flags = parseFlags(argv);
    if (flags.has('help')) {
      io.out(REPLAY_USAGE);
      return 0;
    }
    const priceFiles = flags.get('prices');
    if (!priceFiles) throw new UsageError('--prices is required');
    const ondemandFile = required(flags, 'ondemand');
    const sel = selection(flags);
    const from = time(flags, 'from');
    const to = time(flags, 'to');
    if (!(to > from)) throw new UsageError('--to must be after --from');
    const policies = flags.has('policy') ? list(flags.get('policy')!) : [...DEFAULT_POLICIES];
    for (const p of policies) {
      if (!(REPLAY_POLICY_NAMES as readonly string[]).includes(p)) {
        throw new UsageError(`unknown policy "${p}" (known: ${REPLAY_POLICY_NAMES.join(', ')})`);
      }
    }
    if (new Set(policies).size !== policies.length) throw new UsageError('--policy lists a policy twice');
    const overlapSeconds = seconds(flags, 'overlap-seconds', 300);
    const bootSeconds = seconds(flags, 'boot-seconds', 120);
    const rules: Record<string, number> = {};
    if (flags.has('min-savings-percent')) {
      rules.minSavingsPercent = seconds(flags, 'min-savings-percent', 0);
      if (rules.minSavingsPercent > 100) throw new UsageError('--min-savings-percent must be at most 100');
    }
    if (flags.has('unavailable-memory-seconds'))
      rules.unavailableMemorySeconds = seconds(flags, 'unavailable-memory-seconds', 0);
    const plot = one(flags, 'plot');

    const onDemand = await readOnDemand(ondemandFile);
    const all = await readSpotPrices(priceFiles, { accept: sel.accept });
    const market = buildMarket({ series: sel.pick(all), onDemand, from, to });
    const started = performance.now();
    const modelFile = one(flags, 'model');
    const extra = [];
    if (modelFile) {
      const model = await readModelFile(modelFile);
      try {
        const policy = createModelPolicy(model.scorer, {
          threshold: model.threshold,
          ...(rules.minSavingsPercent !== undefined ? { minSavingsPercent: rules.minSavingsPercent } : {}),
          ...(rules.unavailableMemorySeconds !== undefined
            ? { unavailableMemorySeconds: rules.unavailableMemorySeconds }
            : {}),
        });
        extra.push({
          name: 'model',
          run: await simulateAsync(market, policy, { overlapSeconds, bootSeconds }),
        });
      } finally {
        await model.scorer.release();
      }
    }
    const run = runReplay(market, { overlapSeconds, bootSeconds, policies, rules, extra });
    const ms = performance.now() - started;
    if (flags.has('json')) io.out(JSON.stringify(run.result, null, 2));
    else {
      io.out(formatTable(run.result));
      const points = market.times.length;
      io.out(
        `\n${points} decision points × ${market.options.length} options, ${policies.length + extra.length} policies + oracle in ${ms.toFixed(0)} ms` +
          ` (${Math.round(points / (ms / 1000)).toLocaleString('en-US')} decision points/s)` +
          (modelFile ? `, the model included` : ''),
      );
    }
    if (plot) {
      await writeFile(plot, plotSvg(market, run.paths));
      io.err(`wrote ${plot}`);
    }
    return 0;
  } catch (err) {
    if (
      err instanceof UsageError ||
      err instanceof PriceDataError ||
      err instanceof MarketError ||
      err instanceof ModelFileError
    ) {
      io.err(`replay: ${err.message}`);
      if (err instanceof UsageError) io.err('(spot-optimizer replay --help for usage)');
      return 2;
    }
    throw err;
  }
}
