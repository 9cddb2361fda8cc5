import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Background CPU work (plan previews, HiGHS solves) runs on worker threads at a lower
 * priority, so on a busy machine the event loop thread still gets the CPU it needs to answer.
 * On Linux setpriority(PRIO_PROCESS, 0) acts on the calling thread only (each thread is its
 * own task), so called from a worker it renices that worker and not the process. Elsewhere it
 * would renice the whole process, so it is not done there.
 */

export const BACKGROUND_NICE = 10;

/** Lowers the calling thread's priority to `nice`; false where that would touch the whole process. */
export function lowerThreadPriority(nice = BACKGROUND_NICE): boolean {
  if (process.platform !== 'linux') return false;
  setPriority(nice);
  return true;
}

/** The calling thread's nice value (Linux: /proc/thread-self/stat, field 19); null elsewhere. */
export function threadNice(): number | null {
  if (process.platform !== 'linux') return null;
  return niceOfStat(readFileSync('/proc/thread-self/stat', 'utf8'));
}

/** The nice field of a /proc/<pid>/task/<tid>/stat line (after the command name, which may hold spaces). */
export function niceOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after ") " start at field 3 (state); nice is field 19.
  return Number(fields[19 - 3]);
}
