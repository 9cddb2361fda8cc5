/** How plan messages write times and MW, so an error, a violation and an explanation read alike. */

/** "2024-01-01T00:05Z": interval starts are whole minutes. */
export function isoMinute(ms: number): string {
  return new Date(ms).toISOString().replace(':00.000Z', 'Z');
}

/** MW to 1 kW: 19.8, 0.125. */
export function mw3(x: number): number {
  return Number(x.toFixed(3));
}
