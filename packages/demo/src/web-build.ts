import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Newest modification time under a folder (sources of the dashboard). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return latest;
}

/**
 * Builds the dashboard when its bundle is missing or older than its sources, so
 * `npm install && npm start` is all a new user types.
 */
export function ensureWebBuilt(root: string, log: (m: string) => void): void {
  const web = join(root, 'packages/web');
  if (!existsSync(join(web, 'src'))) return;
  const index = join(web, 'dist/index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(web, 'src'))) return;
  log('building the dashboard (once)…');
  const r = spawnSync('npm', ['run', 'build', '-w', '@spot/web'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('dashboard build failed');
}
