import { Type } from '@sinclair/typebox';

/**
 * An instant as UTC epoch ms, bounded so every one is a valid Date (1e308 is an integer to
 * JSON Schema, but `new Date(1e308).toISOString()` throws: a 500 where a 400 belongs).
 */
export const MAX_UTC_MS = Date.UTC(2200, 0, 1);

export const UtcMs = (description?: string) => Type.Integer({ minimum: 0, maximum: MAX_UTC_MS, ...(description ? { description } : {}) });
