import { minerTelemetry, type MinerTelemetry } from '../normalise.ts';
import type { CgminerReply } from '../parse.ts';
import { entries, numberOf, requireSuccess, splitMulti } from '../reply.ts';
import { MinerCommandError, type Dialect, type MinerSession } from '../miner.ts';

/**
 * LuxOS (LUXminer). Telemetry: `summary` plus `power` (POWER[0].Watts). Privileged
 * commands (logon_required in luxos-tooling api.json: curtail, profileset, logoff …) take
 * the session id as their first parameter: `logon` → SESSION[0].SessionID, then
 * `curtail <sid>,sleep|wakeup`, `profileset <sid>,<profile>`, `logoff <sid>`.
 * Only one session exists at a time; when another is open, `session` returns it and it is
 * reused (and left open, since it is not ours).
 */
function sessionId(reply: CgminerReply): string | undefined {
  const id = entries(reply, 'SESSION')[0]?.SessionID;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

async function withSession<T>(s: MinerSession, work: (sid: string) => Promise<T>): Promise<T> {
  const logon = await s.call('logon');
  let sid = (logon.STATUS as Array<{ STATUS?: string }> | undefined)?.[0]?.STATUS === 'S' ? sessionId(logon) : undefined;
  const ours = sid !== undefined;
  if (sid === undefined) sid = sessionId(await s.call('session'));
  if (sid === undefined) throw new MinerCommandError(`logon gave no session id and no session is open: ${JSON.stringify(logon.STATUS)}`);
  try {
    return await work(sid);
  } finally {
    if (ours) requireSuccess(await s.call('logoff', sid));
  }
}

async function curtail(s: MinerSession, action: 'sleep' | 'wakeup'): Promise<void> {
  await withSession(s, async (sid) => void requireSuccess(await s.call('curtail', `${sid},${action}`)));
}

export interface LuxProfile {
  name: string;
  watts: number;
}

export function luxProfiles(reply: CgminerReply): LuxProfile[] {
  requireSuccess(reply);
  return entries(reply, 'PROFILES').flatMap((p) => {
    const watts = numberOf(p.Watts);
    return typeof p['Profile Name'] === 'string' && watts !== undefined ? [{ name: p['Profile Name'], watts }] : [];
  });
}

/** The highest-power preset at or below the target: a power target is a cap. */
export function profileFor(profiles: LuxProfile[], watts: number): LuxProfile | undefined {
  return profiles.filter((p) => p.watts <= watts).sort((a, b) => b.watts - a.watts)[0];
}

function telemetry(reply: CgminerReply): MinerTelemetry {
  const t = minerTelemetry(reply);
  const power = splitMulti(reply)?.get('power');
  const watts = power === undefined ? undefined : numberOf(entries(power, 'POWER')[0]?.Watts);
  if (watts !== undefined) t.metrics.power_w = watts;
  return t;
}

export const luxos: Dialect = {
  make: 'luxos',
  telemetryCommand: 'summary+power',
  telemetry,
  sleep: (s) => curtail(s, 'sleep'),
  wake: (s) => curtail(s, 'wakeup'),
  setPowerTarget: async (s, watts) => {
    const profiles = luxProfiles(await s.call('profiles'));
    const pick = profileFor(profiles, watts);
    if (pick === undefined) throw new MinerCommandError(`no LuxOS power profile at or below ${watts} W (profiles: ${profiles.map((p) => `${p.name}=${p.watts} W`).join(', ')})`);
    await withSession(s, async (sid) => void requireSuccess(await s.call('profileset', `${sid},${pick.name}`)));
  },
};
