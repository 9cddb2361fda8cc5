import { InvalidArgumentError } from 'commander';

/**
 * A commander parser for a numeric option: a finite number, never negative, and > 0 or whole
 * where the rule says. The message names the flag.
 */
export function numberOption(flag: string, rule: { positive?: boolean; integer?: boolean } = {}): (raw: string) => number {
  return (raw) => {
    const v = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`${flag} must be a number (156e12 notation is fine)`);
    if (v < 0 || (rule.positive && v === 0)) throw new InvalidArgumentError(`${flag} must be ${rule.positive ? '> 0' : '≥ 0'}`);
    if (rule.integer && !Number.isSafeInteger(v)) throw new InvalidArgumentError(`${flag} must be a whole number`);
    return v;
  };
}
