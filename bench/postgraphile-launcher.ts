import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Captured } from './report.js';

/**
 * Starts PostGraphile (bench/postgraphile/server.mjs) as a child process under the Node 22
 * binary of its own `node` package, waits until it answers, and stops it. Its dependencies
 * live apart from the gateway's (bench/postgraphile/package.json); they are installed with
 * `npm ci --prefix bench/postgraphile` when missing.
 */

const folder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'postgraphile');
const nodeBinary = path.join(folder, 'node_modules', '.bin', 'node');

/** application_name of its connections (set in server.mjs), to see whether it is idle. */
export const POSTGRAPHILE_APPLICATION = 'cmg-bench-postgraphile';

export interface PostgraphileServer {
  url: string;
  /** `node --version` of the binary it runs on. */
  nodeVersion: string;
  /** Its process id (its main thread's CPU is read from /proc). */
  pid: number;
  /** Records the statements it sends from now until `captured()`. */
  capture(): Promise<void>;
  captured(): Promise<Captured[]>;
  stop(): Promise<void>;
}

function ensureInstalled(): void {
  if (existsSync(nodeBinary)) return;
  console.log('postgraphile: installing bench/postgraphile (npm ci)');
  execFileSync('npm', ['ci', '--prefix', folder, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}

/** The next IPC message that has `key`. */
function reply<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (message && typeof message === 'object' && key in message) {
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve((message as Record<string, T>)[key] as T);
      }
    };
    const onExit = () => reject(new Error('postgraphile exited'));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    return response.status === 200;
  } catch {
    return false;
  }
}

export async function startPostgraphile(databaseUrl: string, poolSize: number): Promise<PostgraphileServer> {
  ensureInstalled();
  const child = spawn(nodeBinary, ['server.mjs', '--port', '0', '--pool-size', String(poolSize)], {
    cwd: folder,
    env: { ...process.env, DATABASE_URL: databaseUrl, GRAPHILE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => {
    running = false;
  });

  // it builds its schema (introspection) before listening, then says where
  const timeout = setTimeout(() => child.kill('SIGKILL'), 180_000);
  let url: string;
  try {
    url = await reply<string>(child, 'listening');
  } catch {
    throw new Error(`postgraphile exited (code ${await exited}) before listening (or took over 180 s)`);
  } finally {
    clearTimeout(timeout);
  }
  if (!(await answers(url))) {
    child.kill('SIGKILL');
    throw new Error(`postgraphile does not answer at ${url}`);
  }

  return {
    url,
    nodeVersion: execFileSync(nodeBinary, ['--version'], { encoding: 'utf8' }).trim(),
    pid: child.pid ?? -1,
    capture: async () => {
      const answered = reply<boolean>(child, 'capturing');
      child.send({ capture: true });
      await answered;
    },
    captured: async () => {
      const answered = reply<Captured[]>(child, 'statements');
      child.send({ capture: false });
      return answered;
    },
    stop: async () => {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
