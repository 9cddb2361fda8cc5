/**
 * Client CPU spent on one device command: the synchronous work of our code (building the
 * request, connecting and writing, parsing the reply, auth crypto), each step measured with
 * process.cpuUsage() around it. Steps of many commands interleave on one event loop, so a
 * process-wide delta around the whole await would charge each command with its neighbours'
 * work; charging step by step does not. Kernel time spent by libuv between steps is not
 * counted: the figure is what the client code costs per command, not the process total.
 */
export interface CpuAccount {
  /** User + system CPU, microseconds. */
  us: number;
}

export function charged<T>(account: CpuAccount | undefined, step: () => T): T {
  if (account === undefined) return step();
  const before = process.cpuUsage();
  try {
    return step();
  } finally {
    const d = process.cpuUsage(before);
    account.us += d.user + d.system;
  }
}
