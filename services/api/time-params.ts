import { ApiError } from './errors.ts';

/** Query-string times and durations, parsed once at the API edge. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDurationMs(text: string, key: string): number {
  const m = /^(\d{1,12})(ms|s|m|h|d)?$/.exec(text);
  if (!m) throw new ApiError('E_VALIDATION', `${key}: "${text}" is not a duration (e.g. 60s, 5m, 1h, 60000)`, {
    issues: [{ path: `querystring/${key}`, message: 'must be a duration such as 60s, 5m, 1h or ms' }],
  });
  return Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
}

/** Epoch ms, ISO 8601, "now", or relative to now ("-1h", "-90m", "-3600000"). */
export function parseTimeMs(text: string, nowMs: number, key: string): number {
  if (text === 'now') return nowMs;
  if (/^\d{1,15}$/.test(text)) return Number(text);
  if (text.startsWith('-')) {
    const m = /^-(\d{1,12})(ms|s|m|h|d)?$/.exec(text);
    if (m) return nowMs - Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
  } else if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ms;
  }
  throw new ApiError('E_VALIDATION', `${key}: "${text}" is not a time (epoch ms, ISO 8601, "now" or "-1h")`, {
    issues: [{ path: `querystring/${key}`, message: 'must be epoch ms, ISO 8601, "now" or relative like -1h' }],
  });
}
