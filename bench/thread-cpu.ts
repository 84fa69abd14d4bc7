import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time of a server process during a load phase, read from /proc (Linux only): all its
 * threads (JavaScript, garbage collection, libuv) and its main thread alone. Beside the
 * phase's wall time it says what one answer cost and how busy the thread that runs the
 * JavaScript was, which latencies under load do not: on a machine the server shares with
 * PostgreSQL, every millisecond of its CPU is one PostgreSQL cannot use.
 */

/** CPU ms a phase used: the whole process, and its main thread. */
export interface CpuUse {
  processMs: number;
  mainThreadMs: number;
}

/**
 * utime + stime (clock ticks) of a /proc stat line. Plain JavaScript in its body: the load
 * worker (harness.ts) embeds its source to read its own thread.
 */
export function statTicks(stat: string) {
  // The command name (field 2) may hold spaces and parentheses: count from its last ')'.
  // utime and stime are fields 14 and 15, the 12th and 13th after the name and the state.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Clock ticks per second of /proc's times (USER_HZ, 100 on every common Linux). */
let ticksPerSecond: number | undefined;

export function ticksToMs(ticks: number): number {
  if (ticksPerSecond === undefined) {
    const reported = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    ticksPerSecond = Number.isFinite(reported) && reported > 0 ? reported : 100;
  }
  return (ticks * 1000) / ticksPerSecond;
}

function cpuMs(statFile: string): number | null {
  try {
    const ticks = statTicks(readFileSync(statFile, 'utf8'));
    return Number.isFinite(ticks) ? ticksToMs(ticks) : null;
  } catch {
    return null;
  }
}

/**
 * CPU ms so far of each of `pids` that is a PostgreSQL backend of this machine (a server
 * elsewhere has its own pids: any of them that is not a postgres process here is left out).
 */
export function backendCpuMs(pids: readonly number[]): Map<number, number> {
  const used = new Map<number, number>();
  for (const pid of pids) {
    let command = '';
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const ms = command.startsWith('postgres') ? cpuMs(`/proc/${pid}/stat`) : null;
    if (ms !== null) used.set(pid, ms);
  }
  return used;
}

function cpuTimes(pid: number): CpuUse | null {
  const processMs = cpuMs(`/proc/${pid}/stat`);
  const mainThreadMs = cpuMs(`/proc/${pid}/task/${pid}/stat`);
  return processMs === null || mainThreadMs === null ? null : { processMs, mainThreadMs };
}

/**
 * Runs `phase` and adds the CPU process `pid` used meanwhile (null off Linux). A phase that
 * reports `loadThreadCpuMs` ran its load generator in a thread of this process: when `pid` is
 * this process, that thread's CPU is not the server's and is taken off.
 */
export async function withCpu<Result extends { loadThreadCpuMs?: number | null }>(
  pid: number,
  phase: () => Promise<Result>,
): Promise<Result & { cpu: CpuUse | null }> {
  const before = cpuTimes(pid);
  const result = await phase();
  const after = cpuTimes(pid);
  if (!before || !after) return { ...result, cpu: null };
  // undefined: no load thread (the SQL side's loops are the client measured); null: not read
  const loadThread = pid !== process.pid || result.loadThreadCpuMs === undefined ? 0 : result.loadThreadCpuMs;
  if (loadThread === null) return { ...result, cpu: null };
  return {
    ...result,
    cpu: {
      processMs: after.processMs - before.processMs - loadThread,
      mainThreadMs: after.mainThreadMs - before.mainThreadMs,
    },
  };
}
