import './quiet-logs.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { startPlatform, type Platform, type PlatformOptions } from '../../services/platform/platform.ts';
import type { EventRecord, EventStatus } from '../../services/curtailment/event-record.ts';
import { until } from './until.ts';

export { until };

/** The whole platform in this process on a test site (twin, agent, engine), for curtailment tests. */

export const CURTAIL_SITE = 'test/support/sites/curtail.yaml';

export interface CurtailPlatform {
  p: Platform;
  dataDir: string;
  admin: string;
  api(method: 'GET' | 'POST', url: string, payload?: unknown): Promise<LightMyRequestResponse>;
  /** Waits for the event to reach one of `statuses`; throws with the record's last status on timeout. */
  until(eventId: string, statuses: readonly EventStatus[], timeoutMs: number): Promise<EventRecord>;
  close(): Promise<void>;
}


export async function curtailPlatform(extra: Partial<PlatformOptions> = {}): Promise<CurtailPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-curtail-'));
  const p = await startPlatform({
    sitePath: CURTAIL_SITE,
    port: 0,
    host: '127.0.0.1',
    dataDir,
    env: {},
    children: 'inline',
    minerPort: 0,
    meterPort: 0,
    intervals: { minerMs: 3000, meterMs: 500, shipMs: 250 },
    print: () => undefined,
    agent: { failSafeGraceMs: 1000 },
    ...extra,
    // Merged, so a test may set one engine option (sleepPlan) and keep these.
    curtailment: { confirmWindowMs: 6000, restore: { rampMwPerMin: 600, staggerMs: 200, minOffMs: 0 }, supervisorMs: 250, ...extra.curtailment },
  });
  const admin = readFileSync(p.adminTokenPath, 'utf8').trim();
  const api = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    p.app.inject({ method, url, headers: { authorization: `Bearer ${admin}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  // Ready when the meter is read and every miner has reported once.
  await until('the first meter reading and every miner online', () => {
    const s = p.live.snapshot();
    return s.powerW !== null && s.miners.online >= 2000 ? true : undefined;
  }, 60_000, 200);
  return {
    p,
    dataDir,
    admin,
    api,
    until: (eventId, statuses, timeoutMs) =>
      until(`event ${eventId} to reach ${statuses.join(' or ')}`, () => {
        const r = p.curtailment.get(eventId);
        return r && statuses.includes(r.status) ? r : undefined;
      }, timeoutMs).catch((err: Error) => {
        throw new Error(`${err.message} (it is ${p.curtailment.get(eventId)?.status ?? 'unknown'})`);
      }),
    close: async () => {
      await p.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
