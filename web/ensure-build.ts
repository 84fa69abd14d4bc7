/**
 * `npm start` runs this first (prestart): builds the dashboard into web/dist when it is
 * missing or older than its sources, so `npm ci && npm start` serves it without a separate
 * step. `npm run build:web` always builds.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const web = fileURLToPath(new URL('.', import.meta.url));
const root = join(web, '..');
const output = join(web, 'dist', 'index.html');
const sources = [
  join(web, 'src'),
  join(web, 'index.html'),
  join(web, 'vite.config.ts'),
  join(root, 'client', 'generated'),
  join(root, 'src', 'metrics', 'capacity-alerts.ts'),
];

/** Newest modification time under a file or folder (0 when absent). */
function newest(path: string): number {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    return 0;
  }
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newest(join(path, name))), stats.mtimeMs);
}

const built = newest(output);
const force = process.argv.includes('--force');
if (force || built === 0 || sources.some((source) => newest(source) > built)) {
  console.log(
    built === 0 ? 'web dashboard: building web/dist' : 'web dashboard: sources changed, rebuilding web/dist',
  );
  await build({ configFile: join(web, 'vite.config.ts'), logLevel: force ? 'info' : 'warn' });
}
