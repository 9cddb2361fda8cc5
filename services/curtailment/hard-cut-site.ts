import type { AsicModel } from '../domain/catalog.ts';
import { actuatorLayout, maxStepW, type ActuatorLayout } from '../domain/actuators.ts';
import { minerDevices } from '../domain/devices.ts';
import type { SiteFile } from '../domain/site-schema.ts';
import type { Program, ShedMode } from './programs.ts';
import { shedModeOf } from './programs.ts';
import type { InrushStep, PoweredOffChannel, ShedDevice } from './restore-plan.ts';
import type { HardCutChannel } from './shed-plan-hard.ts';

/**
 * The site's coarse actuators as the curtailment engine plans with them: channels with the
 * miners behind them, each channel's nameplate, and each actuator's inrush limit. Built once
 * per site. The limits come from the wiring (services/platform/actuator-limits.ts: the site
 * file's own, else the actuator's profile default), since the engine reads no agent profile.
 */
export class HardCutSite {
  readonly channels: HardCutChannel[];
  private readonly layout: ActuatorLayout;
  private readonly nameplate = new Map<string, number>();

  constructor(
    site: SiteFile,
    asics: ReadonlyMap<string, AsicModel>,
    /** By actuator id. */
    readonly limits: ReadonlyMap<string, InrushStep>,
  ) {
    const miners = minerDevices(site);
    const model = new Map(miners.map((d) => [d.id, d.model]));
    this.layout = actuatorLayout(site, new Set(model.keys()));
    this.channels = this.layout.channels.map((c) => ({ id: c.id, actuatorId: c.actuatorId, blockId: c.blockId, minerIds: c.minerIds }));
    for (const c of this.layout.channels) {
      this.nameplate.set(c.id, c.minerIds.reduce((w, id) => w + (asics.get(model.get(id) ?? '')?.powerW ?? Number.NaN), 0));
    }
  }

  get any(): boolean {
    return this.channels.length > 0;
  }

  /** How an event sheds: hard-cut only when its program may and the site has actuators. */
  modeOf(program: Program, allowHardCut: boolean | undefined): ShedMode {
    return this.any ? shedModeOf(program, allowHardCut ?? false) : 'sleep';
  }

  isChannel(deviceId: string): boolean {
    return this.layout.byId.has(deviceId);
  }

  actuatorOf(channelId: string): string | undefined {
    return this.layout.byId.get(channelId)?.actuatorId;
  }

  minersOf(channelId: string): readonly string[] {
    return this.layout.byId.get(channelId)?.minerIds ?? [];
  }

  /** Every miner behind the given channels. */
  minersBehind(channelIds: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const id of channelIds) for (const m of this.minersOf(id)) out.add(m);
    return out;
  }

  /** A shed channel as planPowerOn takes it. */
  poweredOff(d: ShedDevice): PoweredOffChannel {
    const ch = this.layout.byId.get(d.deviceId);
    return { deviceId: d.deviceId, blockId: d.blockId, actuatorId: ch?.actuatorId ?? d.deviceId, nameplateW: this.nameplate.get(d.deviceId) ?? Number.NaN, returnW: d.preEventW - d.currentW, shedAtMs: d.shedAtMs };
  }
}

/** The limit of each actuator: the site file's own when given, else `profileDefault(actuator)`. */
export function inrushLimits(site: SiteFile, profileDefault: (kind: 'pdu' | 'relay', profile: string) => { maxStepKw: number; stepIntervalMs: number }): Map<string, InrushStep> {
  const out = new Map<string, InrushStep>();
  const add = (id: string, kind: 'pdu' | 'relay', profile: string, own: Parameters<typeof maxStepW>[0] | undefined) => {
    if (own !== undefined) out.set(id, { maxStepW: maxStepW(own), stepIntervalMs: own.stepIntervalMs });
    else {
      const d = profileDefault(kind, profile);
      out.set(id, { maxStepW: d.maxStepKw * 1000, stepIntervalMs: d.stepIntervalMs });
    }
  };
  for (const p of site.actuators?.pdus ?? []) add(p.id, 'pdu', p.profile, p.inrush);
  for (const r of site.actuators?.relays ?? []) add(r.id, 'relay', r.profile, r.inrush);
  return out;
}
