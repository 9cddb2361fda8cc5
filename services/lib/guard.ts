/**
 * Argument guards for pure numeric functions: NaN, Infinity or an out-of-range value must
 * fail loudly at the call, naming the function and the argument, never flow into a result.
 */

function fail(fn: string, name: string, want: string, value: number): never {
  throw new RangeError(`${fn}: ${name} must be ${want}, got ${value}`);
}

/** value ≥ 0 and finite. */
export function nonNegative(fn: string, name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) fail(fn, name, 'a finite number ≥ 0', value);
  return value;
}

/** value > 0 and finite. */
export function positive(fn: string, name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) fail(fn, name, 'a finite number > 0', value);
  return value;
}

/** 0 ≤ value ≤ 1. */
export function fraction(fn: string, name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) fail(fn, name, 'a fraction in [0, 1]', value);
  return value;
}

/** An integer ≥ min (0 unless given). */
export function integerAtLeast(fn: string, name: string, value: number, min = 0): number {
  if (!Number.isSafeInteger(value) || value < min) fail(fn, name, `an integer ≥ ${min}`, value);
  return value;
}
