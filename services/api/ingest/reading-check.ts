import { Ajv } from 'ajv';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Reading } from '../../agent-contract/batch-schema.ts';
import { describeIssues, type SchemaIssue } from '../../domain/schema.ts';

/**
 * Validates an ingest batch's readings in bounded chunks, yielding to the event loop between
 * chunks, and stops at the first few dozen problems: a 28 MB batch of 200k bad readings costs
 * one chunk and a small 400, not a minute of blocked loop and a 179 MB error. Its own Ajv
 * stops at a reading's first error (the shared one collects all of them, fine for config and
 * small bodies but unbounded for a batch).
 */

const firstErrorAjv = new Ajv({ allErrors: false, removeAdditional: false, useDefaults: false, coerceTypes: false, strict: false });
const validReading = firstErrorAjv.compile<Reading>(Reading);

export const READINGS_PER_CHUNK = 2000;
export const MAX_ISSUES = 40;

export interface ReadingsCheck {
  issues: SchemaIssue[];
  /** Readings looked at before stopping (all of them when there are no issues). */
  checked: number;
}

export async function checkReadings(readings: readonly unknown[], at = 'body/readings'): Promise<ReadingsCheck> {
  const issues: SchemaIssue[] = [];
  let i = 0;
  while (i < readings.length && issues.length < MAX_ISSUES) {
    const end = Math.min(readings.length, i + READINGS_PER_CHUNK);
    for (; i < end && issues.length < MAX_ISSUES; i++) {
      if (validReading(readings[i])) continue;
      for (const issue of describeIssues(validReading.errors)) issues.push({ path: `${at}/${i}${issue.path}`, message: issue.message });
    }
    if (i < readings.length && issues.length < MAX_ISSUES) await yieldToLoop();
  }
  return { issues: issues.slice(0, MAX_ISSUES), checked: i };
}
