/** How often the embedded agent polls and ships; the control plane's staleness follows them. */
export interface Intervals {
  minerMs: number;
  meterMs: number;
  shipMs: number;
}

export const DEFAULT_INTERVALS: Intervals = { minerMs: 30_000, meterMs: 2_000, shipMs: 2_000 };

export function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}="${v}" is not a non-negative integer`);
  return n;
}

/** Options first, then SWITCHYARD_{MINER,METER,SHIP}_INTERVAL_MS, then the defaults. */
export function resolveIntervals(env: NodeJS.ProcessEnv, given: Partial<Intervals> = {}): Intervals {
  return {
    minerMs: given.minerMs ?? envInt(env, 'SWITCHYARD_MINER_INTERVAL_MS') ?? DEFAULT_INTERVALS.minerMs,
    meterMs: given.meterMs ?? envInt(env, 'SWITCHYARD_METER_INTERVAL_MS') ?? DEFAULT_INTERVALS.meterMs,
    shipMs: given.shipMs ?? envInt(env, 'SWITCHYARD_SHIP_INTERVAL_MS') ?? DEFAULT_INTERVALS.shipMs,
  };
}
