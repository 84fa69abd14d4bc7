import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { summarize } from '../bench/harness.js';
import { backendCpuMs, statTicks, withCpu } from '../bench/thread-cpu.js';

/**
 * The bench's CPU accounting (bench/thread-cpu.ts): what it reads of /proc, and what a phase
 * is charged. Linux only, like the bench's CPU columns.
 */
const onLinux = process.platform === 'linux';

describe('bench CPU accounting', () => {
  it('reads utime + stime after a command name with spaces and parentheses', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const line = '4242 (node (a) b) R 1 4242 4242 0 -1 4194560 900 0 0 0 1234 56 0 0 20 0 11 0 100 0';
    expect(statTicks(line)).toBe(1234 + 56);
  });

  it.runIf(onLinux)(
    'charges a busy loop to the process and its main thread, the load thread taken off',
    async () => {
      // this thread's utime + stime in /proc, in 10 ms ticks
      const mainThreadTicks = () => statTicks(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8'));
      const { cpu } = await withCpu(process.pid, async () => {
        // Spin until /proc charges this thread 300 ms, not for 300 ms of wall time: on a busy
        // machine (a parallel test run) the thread would get less CPU than the clock shows.
        const startTicks = mainThreadTicks();
        while (mainThreadTicks() - startTicks < 30) {
          const slice = performance.now();
          while (performance.now() - slice < 5) {
            // spin
          }
        }
        return { loadThreadCpuMs: 100 };
      });
      expect(cpu).not.toBeNull();
      // /proc counts in 10 ms ticks; the spin is at least 300 ms of this thread
      expect(cpu?.mainThreadMs).toBeGreaterThanOrEqual(290);
      // the whole process (the spinning thread and next to nothing else) less the 100 ms the
      // phase says its load thread used: below the main thread's own share only when taken off
      // (each reading is rounded to a 10 ms tick)
      const mainThreadMs = cpu?.mainThreadMs ?? 0;
      expect(cpu?.processMs).toBeGreaterThanOrEqual(mainThreadMs - 100 - 20);
      expect(cpu?.processMs).toBeLessThan(mainThreadMs - 40);
    },
  );

  it.runIf(onLinux)(
    'an unread load thread leaves the phase without CPU, rather than charged for it',
    async () => {
      const { cpu } = await withCpu(process.pid, async () => ({ loadThreadCpuMs: null }));
      expect(cpu).toBeNull();
    },
  );

  it.runIf(onLinux)('reads PostgreSQL backends only: any other pid is left out', async () => {
    // this process (node) and a sleeping child (sleep) are not postgres backends
    const child = spawn('sleep', ['5']);
    try {
      expect(backendCpuMs([process.pid, child.pid ?? -1, 999_999_999]).size).toBe(0);
    } finally {
      child.kill();
    }
  });

  // a backend on this machine: the server of DATABASE_URL when it is local (as in .ci/run)
  const databaseUrl = process.env.DATABASE_URL;
  const localServer = databaseUrl !== undefined && /@(127\.0\.0\.1|localhost)[:/]/.test(databaseUrl);
  it.runIf(onLinux && localServer)('reads the CPU of a PostgreSQL backend of this machine', async () => {
    const sql = postgres(databaseUrl ?? '', { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql`SELECT pg_backend_pid() AS pid`;
      const pid = Number(row?.pid);
      const before = backendCpuMs([pid]).get(pid);
      // about 200 ms of the backend's CPU
      await sql`SELECT count(*) FROM generate_series(1, 3000000)`;
      const after = backendCpuMs([pid]).get(pid);
      expect(before).toBeDefined();
      expect((after ?? 0) - (before ?? 0)).toBeGreaterThan(0);
    } finally {
      await sql.end();
    }
  });

  it('turns a phase into CPU per answer and the main thread busy share', () => {
    const summary = summarize({
      latencies: Float64Array.from([1, 2, 3, 4]),
      seconds: 2,
      errors: 0,
      cpu: { processMs: 10, mainThreadMs: 6 },
      postgresMs: 8,
    });
    expect(summary.cpuMsPerRequest).toBe(10 / 4);
    expect(summary.mainThreadMsPerRequest).toBe(6 / 4);
    expect(summary.mainThreadBusy).toBe(6 / 2000);
    expect(summary.postgresMsPerRequest).toBe(8 / 4);
  });
});
