import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres, { type Sql } from 'postgres';
import { freePort } from './http-server.js';

/**
 * A throwaway PostgreSQL primary and a hot standby streaming from it, both on free localhost
 * ports in one temporary directory. The primary is a cluster of its own (initdb), not the
 * shared server at DATABASE_URL: a base backup copies a whole cluster, and the shared server
 * also holds the benchmark database (gigabytes, 20 s and more to copy), and its pg_hba.conf
 * need not allow replication. The binaries are those of DATABASE_URL's server version.
 * PostgreSQL refuses to run as root, so under root every command runs as the `postgres` user.
 */

const run = promisify(execFile);

interface Binaries {
  dir: string;
  /** Prefix that runs a command as the owner of the clusters. */
  asOwner: string[];
  owner: { uid: number; gid: number } | undefined;
}

async function findBinaries(serverUrl: string): Promise<Binaries> {
  const server = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await server<{ server_version_num: string }[]>`SHOW server_version_num`;
    const major = Math.floor(Number(row?.server_version_num) / 10_000);
    const dir = `/usr/lib/postgresql/${major}/bin`;
    if (!existsSync(path.join(dir, 'pg_basebackup'))) {
      throw new Error(`PostgreSQL ${major} binaries not found in ${dir} (initdb, pg_ctl, pg_basebackup)`);
    }
    if (userInfo().uid !== 0) return { dir, asOwner: [], owner: undefined };
    const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
      throw new Error('running as root, but there is no `postgres` OS user to run PostgreSQL as');
    });
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    return {
      dir,
      asOwner: ['runuser', '-u', 'postgres', '--'],
      owner: { uid: Number(stdout.trim()), gid: Number(gid.trim()) },
    };
  } finally {
    await server.end();
  }
}

export interface StandbyCluster {
  /** postgres:// URL of a database on the standby. */
  url(database: string): string;
  /** Stops replaying WAL (it still arrives): the standby's data stays as it is now. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Waits until the standby has replayed the primary's WAL up to the primary's position now. */
  catchUp(): Promise<void>;
  /** Stops the standby server (fast shutdown: its connections are cut). */
  stop(): Promise<void>;
}

export interface PrimaryCluster {
  url(database: string): string;
  /** A connection to the primary's `postgres` database. */
  sql: Sql;
  /** Base-backs-up the primary (`pg_basebackup -R`) and starts it as a hot standby. */
  startStandby(): Promise<StandbyCluster>;
  /** Stops both servers and deletes their files; safe to call after a failed start. */
  destroy(): Promise<void>;
}

const WAIT_MS = 15_000;

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts a primary with WAL for streaming replication; `serverUrl` (DATABASE_URL) picks the version. */
export async function startPrimaryCluster(serverUrl: string): Promise<PrimaryCluster> {
  const bin = await findBinaries(serverUrl);
  const root = await mkdtemp(path.join(tmpdir(), 'cmg-replica-'));
  if (bin.owner) await chown(root, bin.owner.uid, bin.owner.gid);
  await chmod(root, 0o700);
  const started: string[] = [];
  const connections: Sql[] = [];

  const command = async (name: string, args: string[]) => {
    const [file = '', ...rest] = [...bin.asOwner, path.join(bin.dir, name), ...args];
    try {
      return await run(file, rest, { timeout: 60_000 });
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      throw new Error(`${name} ${args.join(' ')} failed: ${stderr?.trim() || String(error)}`);
    }
  };
  const startServer = async (dataDir: string, port: number, settings: string[]) => {
    const options = [
      `-c port=${port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${root}`,
      '-c max_connections=40',
      '-c shared_buffers=16MB',
      // Throwaway data: no need to wait for the disk.
      '-c fsync=off',
      ...settings,
    ].join(' ');
    await command('pg_ctl', [
      'start',
      '-w',
      '-t',
      '30',
      '-D',
      dataDir,
      '-l',
      `${dataDir}.log`,
      '-o',
      options,
    ]);
    started.push(dataDir);
  };
  const stopServer = async (dataDir: string, mode: 'fast' | 'immediate') => {
    if (!started.includes(dataDir)) return;
    started.splice(started.indexOf(dataDir), 1);
    await command('pg_ctl', ['stop', '-w', '-m', mode, '-D', dataDir]).catch(() => {});
  };
  const connect = (port: number) => {
    const sql = postgres(`postgres://postgres@127.0.0.1:${port}/postgres`, { max: 2, onnotice: () => {} });
    connections.push(sql);
    return sql;
  };
  const destroy = async () => {
    await Promise.all(connections.map((sql) => sql.end({ timeout: 1 }).catch(() => {})));
    for (const dataDir of [...started].reverse()) await stopServer(dataDir, 'immediate');
    await rm(root, { recursive: true, force: true });
  };

  try {
    const primaryDir = path.join(root, 'primary');
    const primaryPort = await freePort();
    // initdb's pg_hba.conf trusts local and 127.0.0.1 connections, replication ones included.
    await command('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    await startServer(primaryDir, primaryPort, ['-c wal_level=replica', '-c max_wal_senders=4']);
    const primarySql = connect(primaryPort);
    const urlFor = (port: number) => (database: string) =>
      `postgres://postgres@127.0.0.1:${port}/${database}`;

    const startStandby = async (): Promise<StandbyCluster> => {
      const standbyDir = path.join(root, 'standby');
      let standbyPort = await freePort();
      while (standbyPort === primaryPort) standbyPort = await freePort();
      await command('pg_basebackup', [
        ...['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres'],
        ...['-D', standbyDir, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync'],
      ]);
      await startServer(standbyDir, standbyPort, ['-c hot_standby=on']);
      const standbySql = connect(standbyPort);
      await until('the standby to accept connections', async () => {
        const [row] = await standbySql<
          { recovering: boolean }[]
        >`SELECT pg_is_in_recovery() AS recovering`.catch(() => []);
        if (row && !row.recovering) throw new Error('the base backup started as a primary, not a standby');
        return row !== undefined;
      });
      return {
        url: urlFor(standbyPort),
        pauseReplay: async () => {
          await standbySql`SELECT pg_wal_replay_pause()`;
          await until('WAL replay to pause', async () => {
            const [row] = await standbySql<
              { state: string }[]
            >`SELECT pg_get_wal_replay_pause_state() AS state`;
            return row?.state === 'paused';
          });
        },
        resumeReplay: async () => {
          await standbySql`SELECT pg_wal_replay_resume()`;
        },
        catchUp: async () => {
          const [row] = await primarySql<{ lsn: string }[]>`SELECT pg_current_wal_lsn()::text AS lsn`;
          await until(`the standby to replay up to ${row?.lsn}`, async () => {
            const [replay] = await standbySql<{ reached: boolean }[]>`
              SELECT pg_last_wal_replay_lsn() >= ${row?.lsn ?? ''}::pg_lsn AS reached`;
            return replay?.reached === true;
          });
        },
        stop: async () => {
          await standbySql.end({ timeout: 1 });
          await stopServer(standbyDir, 'fast');
        },
      };
    };

    return { url: urlFor(primaryPort), sql: primarySql, startStandby, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}
