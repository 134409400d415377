#!/usr/bin/env node
// `npm start`: the demo — server, EC2 simulator and agents on simulated instances, in one
// command, on embedded PGlite (packages/demo). Until the demo launcher exists this starts
// the bare server, which `npx spot-optimizer serve` always does.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const demo = 'packages/demo/src/main.ts';
const args = existsSync(demo)
  ? ['--import', 'tsx', demo, ...process.argv.slice(2)]
  : ['packages/server/bin/spot-optimizer.js', 'serve'];
const child = spawn(process.execPath, args, { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
