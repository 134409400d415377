#!/usr/bin/env node
// Runs the TypeScript sources through tsx: no build step between `npm install` and `npx spot-cloud-sim`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
