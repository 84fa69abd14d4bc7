import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The gateway as its own process, for the load tools that measure it from outside
 * (`npm run soak`, `npm run bench:rss`): its memory is then its own, not the load tool's.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface GatewayProcess {
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  /** Resident set size now, in MiB (/proc, Linux). */
  residentMiB(): number;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function answersTypename(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    return response.ok;
  } catch {
    return false; // not listening yet
  }
}

async function waitForServer(url: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`gateway exited with ${server.exitCode} before answering`);
    if (await answersTypename(url)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('gateway did not answer within 180 s');
}

/**
 * Starts `src/server/main.ts` on a free localhost port with `env` over this process's
 * environment (logs at warn, no retention schedule, no rate limit: all load comes from one
 * address, which the per-client limit would answer with 429s) and waits until it answers.
 */
export async function startGatewayProcess(env: NodeJS.ProcessEnv): Promise<GatewayProcess> {
  const port = await freePort();
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    cwd: repoRoot,
    env: {
      RATE_LIMIT_PER_MINUTE: '0',
      ...process.env,
      ...env,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      RETENTION_INTERVAL_MINUTES: '0',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const stop = async () => {
    if (server.exitCode !== null) return;
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  };
  const url = `http://127.0.0.1:${port}/graphql`;
  try {
    await waitForServer(url, server);
  } catch (error) {
    await stop();
    throw error;
  }
  const pid = server.pid ?? 0;
  return {
    url,
    residentMiB: () =>
      Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024,
    stop,
  };
}
