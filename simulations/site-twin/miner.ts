import type { AsicModel } from '../../services/domain/catalog.ts';
import { jitter } from './noise.ts';

/**
 * A virtual ASIC with first-order physics, evaluated lazily: the state is advanced to "now"
 * only when someone reads it (a cgminer request, the twin's load tick), with exact
 * exponential steps, so 40,000 idle miners cost nothing between reads and the result does
 * not depend on how often it is read.
 */
export type MinerMode = 'mining' | 'sleeping' | 'waking';

export interface MinerDynamics {
  /** Power falls to sleep draw with this time constant once hashboards are cut. */
  sleepTauMs: number;
  /** After wake: control board boot and hashboard init at fan + controller draw. */
  bootMs: number;
  bootTauMs: number;
  /** Mining power rises to target (PSU ramp, frequency tuning) with this constant. */
  rampUpTauMs: number;
  /** Mining power falls to a lower target with this constant. */
  rampDownTauMs: number;
  /** Board temperature follows power with this constant. */
  thermalTauMs: number;
}

// Sleep: 3.5 kW → ≤ 30 W in ~4 s (0.6 s × ln(3475/5)); wake: 20 s boot + ~10 s ramp to
// 90 % hashrate, in line with stock and Braiins firmware restarting the hashboards.
export const DEFAULT_DYNAMICS: MinerDynamics = {
  sleepTauMs: 600,
  bootMs: 20_000,
  bootTauMs: 1_000,
  rampUpTauMs: 4_000,
  rampDownTauMs: 1_500,
  thermalTauMs: 45_000,
};

/** Inlet temperature and board temperature rise at nominal power, by cooling. */
const THERMAL: Record<AsicModel['cooling'], { inletC: number; riseC: number }> = {
  air: { inletC: 25, riseC: 40 },
  hydro: { inletC: 35, riseC: 25 },
  immersion: { inletC: 40, riseC: 20 },
};

/** Share of nominal power drawn while booting: fans at full plus the control board. */
const BOOT_SHARE = 0.04;

/** Power cut: the PSU's capacitors and fans run down within a fraction of a second. */
const POWER_CUT_TAU_MS = 50;

/** After power returns, the control board boots this long before its API answers. */
export const CONTROLLER_BOOT_MS = 8_000;

export interface MinerSnapshot {
  mode: MinerMode;
  /** As the miner reports it: physics plus ±1 % sensor noise. */
  powerW: number;
  hashrateHs: number;
  /** Mean hashrate since start (cgminer's "MHS av"). */
  hashrateAvgHs: number;
  tempC: number;
  /** Air-cooled models only. */
  fanRpm: number | undefined;
  elapsedS: number;
  totalHashes: number;
  powerTargetW: number;
}

export interface MinerOptions {
  seed: number;
  nowMs: number;
  mode?: 'mining' | 'sleeping';
  dynamics?: MinerDynamics;
}

export class PowerTargetError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'PowerTargetError';
  }
}

export class VirtualMiner {
  readonly model: AsicModel;
  readonly seed: number;
  /** False: the controller is off the network (the twin resets its connections). */
  reachable = true;
  private readonly dyn: MinerDynamics;
  private readonly startMs: number;
  private readonly nominalHs: number;
  private modeNow: MinerMode;
  private targetW: number;
  private powerW: number;
  private tempC: number;
  private lastMs: number;
  private readyAtMs = 0;
  private hashes = 0;
  /** False: an outlet or relay upstream cut its power (off, not sleeping: 0 W, no API). */
  private powered = true;
  private poweredAtMs = Number.NEGATIVE_INFINITY;

  constructor(model: AsicModel, opts: MinerOptions) {
    this.model = model;
    this.seed = opts.seed;
    this.dyn = opts.dynamics ?? DEFAULT_DYNAMICS;
    this.startMs = opts.nowMs;
    this.lastMs = opts.nowMs;
    this.nominalHs = model.hashrateThs * 1e12;
    this.modeNow = opts.mode ?? 'mining';
    this.targetW = model.powerW;
    this.powerW = this.modeNow === 'mining' ? model.powerW : model.sleepPowerW;
    this.tempC = this.boardTargetC(this.powerW);
  }

  get mode(): MinerMode {
    return this.modeNow;
  }

  get powerTargetW(): number {
    return this.targetW;
  }

  /** True power at `nowMs`, no sensor noise: what a meter upstream sees. */
  powerAt(nowMs: number): number {
    this.advance(nowMs);
    return this.powerW;
  }

  get hasPower(): boolean {
    return this.powered;
  }

  /** Whether the controller answers its API at `nowMs`: on the network, powered and booted. */
  answers(nowMs: number): boolean {
    return this.reachable && this.powered && nowMs >= this.poweredAtMs + CONTROLLER_BOOT_MS;
  }

  /** The outlet or relay upstream opens: power falls to 0 W. False when it was already off. */
  powerOff(nowMs: number): boolean {
    this.advance(nowMs);
    if (!this.powered) return false;
    this.powered = false;
    return true;
  }

  /**
   * Power returns: the miner cold-boots and then mines at its target (a power cycle clears a
   * sleep: real firmware starts hashing on boot). False when it had power already.
   */
  powerOn(nowMs: number): boolean {
    this.advance(nowMs);
    if (this.powered) return false;
    this.powered = true;
    this.poweredAtMs = nowMs;
    this.modeNow = 'waking';
    this.readyAtMs = nowMs + this.dyn.bootMs;
    return true;
  }

  sleep(nowMs: number): boolean {
    this.advance(nowMs);
    if (this.modeNow === 'sleeping') return false;
    this.modeNow = 'sleeping';
    return true;
  }

  wake(nowMs: number): boolean {
    this.advance(nowMs);
    if (this.modeNow !== 'sleeping') return false;
    this.modeNow = 'waking';
    this.readyAtMs = nowMs + this.dyn.bootMs;
    return true;
  }

  /** Takes effect at once when mining, on the next wake otherwise. */
  setPowerTarget(nowMs: number, watts: number): void {
    const { minPowerW, maxPowerW, id } = this.model;
    if (!Number.isFinite(watts) || watts < minPowerW || watts > maxPowerW) {
      throw new PowerTargetError(`power target ${watts} W is outside ${id}'s range ${minPowerW}–${maxPowerW} W`);
    }
    this.advance(nowMs);
    this.targetW = watts;
  }

  snapshot(nowMs: number): MinerSnapshot {
    this.advance(nowMs);
    const p = this.powerW;
    const elapsedS = Math.max(0, Math.floor((nowMs - this.startMs) / 1000));
    const hashrateHs = this.modeNow === 'mining' ? this.hashratePerW() * p * (1 + 0.01 * jitter(this.seed ^ 0x51, nowMs)) : 0;
    return {
      mode: this.modeNow,
      powerW: p * (1 + 0.01 * jitter(this.seed, nowMs)),
      hashrateHs,
      hashrateAvgHs: elapsedS > 0 ? this.hashes / elapsedS : hashrateHs,
      tempC: this.tempC + 0.5 * jitter(this.seed ^ 0x7e, nowMs),
      fanRpm: this.model.cooling === 'air' ? Math.round(1200 + 4800 * Math.min(1.1, p / this.model.powerW)) : undefined,
      elapsedS,
      totalHashes: this.hashes,
      powerTargetW: this.targetW,
    };
  }

  /** Moves the state to `nowMs`; splits at the end of a boot so each step has one target. */
  advance(nowMs: number): void {
    while (this.lastMs < nowMs) {
      let end = nowMs;
      if (this.modeNow === 'waking' && this.readyAtMs < end) end = Math.max(this.lastMs, this.readyAtMs);
      this.step(end - this.lastMs);
      this.lastMs = end;
      if (this.modeNow === 'waking' && this.lastMs >= this.readyAtMs) this.modeNow = 'mining';
    }
  }

  private step(dtMs: number): void {
    if (dtMs <= 0) return;
    const target = this.currentTargetW();
    const p0 = this.powerW;
    const tau = this.tauMs(target, p0);
    const decay = Math.exp(-dtMs / tau);
    const p1 = target + (p0 - target) * decay;
    // ∫P dt over the step, exact for the exponential ramp (W·ms).
    const energyWms = target * dtMs + (p0 - target) * tau * (1 - decay);
    if (this.modeNow === 'mining') this.hashes += (this.hashratePerW() * energyWms) / 1000;
    const boardC = this.boardTargetC(energyWms / dtMs);
    this.tempC = boardC + (this.tempC - boardC) * Math.exp(-dtMs / this.dyn.thermalTauMs);
    this.powerW = p1;
  }

  private currentTargetW(): number {
    if (!this.powered) return 0;
    if (this.modeNow === 'sleeping') return this.model.sleepPowerW;
    if (this.modeNow === 'waking') return this.model.sleepPowerW + BOOT_SHARE * this.model.powerW;
    return this.targetW;
  }

  private tauMs(target: number, from: number): number {
    if (!this.powered) return POWER_CUT_TAU_MS;
    if (this.modeNow === 'sleeping') return this.dyn.sleepTauMs;
    if (this.modeNow === 'waking') return this.dyn.bootTauMs;
    return target >= from ? this.dyn.rampUpTauMs : this.dyn.rampDownTauMs;
  }

  /** Hashrate is proportional to power across the allowed range (nominal H/s at nominal W). */
  private hashratePerW(): number {
    return this.nominalHs / this.model.powerW;
  }

  private boardTargetC(powerW: number): number {
    const t = THERMAL[this.model.cooling];
    return t.inletC + (t.riseC * powerW) / this.model.powerW;
  }
}
