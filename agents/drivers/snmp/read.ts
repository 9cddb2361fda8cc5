import type { Reading } from '../../../services/agent-contract/batch-schema.ts';
import { errorMessage, wrap } from '../../../services/lib/errors.ts';
import { mapProfile, planRead, type ProfileReading } from './map.ts';
import type { SnmpProfile } from './profile.ts';
import { SnmpError, type SnmpClient } from './session.ts';
import type { Varbind } from './varbind.ts';

function deviceLevel(err: unknown): boolean {
  return err instanceof SnmpError && (err.code === 'E_SNMP_TIMEOUT' || err.code === 'E_SNMP_AUTH');
}

/**
 * Reads one device through its profile: GET the scalars, walk each table column, map (pure).
 * A column that fails to walk is a failure in the reading. A timeout or an authentication
 * failure is about the device, not the OID, so it stops the read at once (a dead device costs
 * one timeout, not one per column) and throws, as does nothing answering at all; the message
 * names the profile and address ("reading apc-rpdu2 at 127.0.0.1:11162: …").
 */
export async function readProfile(client: SnmpClient, profile: SnmpProfile, name: string): Promise<ProfileReading> {
  const plan = planRead(profile);
  const doing = `reading ${name} at ${client.label}`;
  let got: Varbind[] = [];
  const walked = new Map<string, Varbind[]>();
  const failures: string[] = [];
  let firstError: unknown;
  let attempts = 0;
  if (plan.get.length > 0) {
    attempts++;
    try {
      got = await client.get(plan.get);
    } catch (err) {
      if (deviceLevel(err)) throw wrap(doing, err, 'E_SNMP_READ');
      firstError ??= err;
      failures.push(errorMessage(err));
    }
  }
  for (const oid of plan.walk) {
    attempts++;
    try {
      walked.set(oid, await client.walk(oid));
    } catch (err) {
      if (deviceLevel(err)) throw wrap(doing, err, 'E_SNMP_READ');
      firstError ??= err;
      failures.push(errorMessage(err));
    }
  }
  if (failures.length === attempts && firstError !== undefined) throw wrap(doing, firstError, 'E_SNMP_READ');
  const reading = mapProfile(profile, got, walked);
  // Columns that failed to walk are reported once, as the walk's error, not per metric.
  reading.failures = [...failures, ...reading.failures.filter((f) => !f.endsWith('was not walked'))];
  return reading;
}

/** The domain Reading for a profile reading (or the error that kept it from being read). */
export function toReading(deviceId: string, profile: SnmpProfile, atMs: number, result: ProfileReading | Error): Reading {
  const labels = { make: profile.make, model: profile.model };
  if (result instanceof Error) {
    return { deviceId, kind: profile.kind, atMs, status: 'offline', error: result.message.slice(0, 2000), metrics: {}, labels };
  }
  const reading: Reading = { deviceId, kind: profile.kind, atMs, status: 'online', metrics: result.metrics, labels: { ...labels, ...result.labels } };
  if (result.failures.length > 0) reading.error = result.failures.join('; ').slice(0, 2000);
  return reading;
}
