// spot-cloud-sim: parse flags, start the simulator, print the ready line, stop cleanly on SIGTERM/SIGINT.

import { parseCli } from './cli-args.ts';
import { startCloudSim } from './start.ts';

const parsed = parseCli(process.argv.slice(2));
if (!parsed.ok) {
  if (parsed.help) {
    process.stdout.write(`${parsed.message}\n`);
    process.exit(0);
  }
  process.stderr.write(`spot-cloud-sim: ${parsed.message}\n(see --help)\n`);
  process.exit(2);
}

const log = (entry: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);

try {
  const sim = await startCloudSim({ ...parsed.options, log });
  // The one line launchers wait for; anything after it is JSON.
  process.stdout.write(`spot-cloud-sim listening on ${sim.url}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log({ msg: 'shutting down', signal });
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (err) {
  process.stderr.write(`spot-cloud-sim: ${(err as Error).message}\n`);
  process.exit(2);
}
