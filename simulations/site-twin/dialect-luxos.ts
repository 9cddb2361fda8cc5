import { randomBytes } from 'node:crypto';
import type { VirtualMiner } from './miner.ts';
import { changed, type ControlHandler } from './cgminer-control.ts';
import { errorReply, statusEntry, type CgminerReply, type ReplyContext } from './cgminer-replies.ts';

/**
 * LuxOS (LUXminer) as the twin speaks it: `logon` opens the one session (SESSION[0].SessionID),
 * `session` shows it, `logoff <sid>` ends it; privileged commands (logon_required in
 * luxos-tooling api.json) take the session id first: `curtail <sid>,sleep|wakeup`,
 * `profileset <sid>,<profile>`. `power` gives POWER[0].Watts, `profiles` the presets.
 * Session state is kept per miner only once someone logs on, so 30,000 idle miners cost nothing.
 */
const sessions = new WeakMap<VirtualMiner, string>();
const CODE = { session: 300, badSession: 301, sessionActive: 302, curtail: 310, profile: 320, profiles: 321, power: 330, badParam: 15 } as const;

type Checked = { ok: true; rest: string[] } | { ok: false; reply: CgminerReply };

function requireSession(ctx: ReplyContext, parameter: string | undefined, command: string): Checked {
  const [sid = '', ...rest] = (parameter ?? '').split(',').map((p) => p.trim());
  const active = sessions.get(ctx.miner);
  if (active === undefined || sid !== active) {
    return { ok: false, reply: errorReply(CODE.badSession, `${command} requires logon: invalid session id '${sid}'`, ctx.device.firmware, ctx.nowMs) };
  }
  return { ok: true, rest };
}

const logon: ControlHandler = (ctx) => {
  if (sessions.has(ctx.miner)) return errorReply(CODE.sessionActive, 'Another session is active', ctx.device.firmware, ctx.nowMs);
  const sid = randomBytes(4).toString('hex');
  sessions.set(ctx.miner, sid);
  return changed(ctx, 'SESSION', 'Session created', { SessionID: sid }, CODE.session);
};

const session: ControlHandler = (ctx) => changed(ctx, 'SESSION', 'Session', { SessionID: sessions.get(ctx.miner) ?? '' }, CODE.session);

const logoff: ControlHandler = (ctx, parameter) => {
  const checked = requireSession(ctx, parameter, 'logoff');
  if (!checked.ok) return checked.reply;
  sessions.delete(ctx.miner);
  return changed(ctx, 'SESSION', 'Session closed', { SessionID: '' }, CODE.session);
};

const curtail: ControlHandler = (ctx, parameter) => {
  const checked = requireSession(ctx, parameter, 'curtail');
  if (!checked.ok) return checked.reply;
  const action = checked.rest[0];
  if (action === 'sleep') return changed(ctx, 'CURTAIL', 'Curtail sleep', { Mode: 'sleep', Changed: ctx.miner.sleep(ctx.nowMs) }, CODE.curtail);
  if (action === 'wakeup') return changed(ctx, 'CURTAIL', 'Curtail wakeup', { Mode: 'wakeup', Changed: ctx.miner.wake(ctx.nowMs) }, CODE.curtail);
  return errorReply(CODE.badParam, `curtail needs <session_id>,sleep|wakeup, got ${JSON.stringify(parameter ?? '')}`, ctx.device.firmware, ctx.nowMs);
};

/** Presets around nominal in 5 % steps, kept inside the model's allowed range. */
export function luxProfiles(miner: VirtualMiner): Array<{ name: string; watts: number }> {
  const { powerW, minPowerW, maxPowerW } = miner.model;
  const out: Array<{ name: string; watts: number }> = [];
  for (let step = -8; step <= 2; step++) {
    const watts = Math.round(powerW * (1 + 0.05 * step));
    if (watts >= minPowerW && watts <= maxPowerW) out.push({ name: step === 0 ? 'default' : step > 0 ? `+${step}` : String(step), watts });
  }
  return out;
}

function profilesReply(ctx: ReplyContext): CgminerReply {
  const profiles = luxProfiles(ctx.miner).map((p) => ({ 'Profile Name': p.name, Frequency: 0, Hashrate: 0, Voltage: 0, Watts: p.watts, IsDynamic: false, IsTuned: true }));
  return { STATUS: [statusEntry('S', CODE.profiles, 'Profiles', ctx.device.firmware, ctx.nowMs)], PROFILES: profiles, id: 1 };
}

const profileset: ControlHandler = (ctx, parameter) => {
  const checked = requireSession(ctx, parameter, 'profileset');
  if (!checked.ok) return checked.reply;
  const profile = luxProfiles(ctx.miner).find((p) => p.name === checked.rest[0]);
  if (profile === undefined) return errorReply(CODE.badParam, `unknown profile ${JSON.stringify(checked.rest[0] ?? '')}`, ctx.device.firmware, ctx.nowMs);
  ctx.miner.setPowerTarget(ctx.nowMs, profile.watts);
  return changed(ctx, 'PROFILE', `Profile ${profile.name} applied`, { Profile: profile.name, Watts: profile.watts }, CODE.profile);
};

function powerReply(ctx: ReplyContext): CgminerReply {
  const s = ctx.miner.snapshot(ctx.nowMs);
  return { STATUS: [statusEntry('S', CODE.power, 'Power', ctx.device.firmware, ctx.nowMs)], POWER: [{ PSU: true, Watts: Math.round(s.powerW) }], id: 1 };
}

export const LUXOS_READS = { power: powerReply, profiles: profilesReply };
export const LUXOS_CONTROL: Record<string, ControlHandler> = { logon, session, logoff, curtail, profileset };
