import { jitter } from './noise.ts';

/**
 * The register image of a Schneider PowerLogic PM5340 as the twin serves it. Register
 * numbers are those Tether's mining-site worker reads (../shared/fixtures/modbus/
 * tether_register_maps_derived.csv): one block of float32 big-endian values from 3000
 * (currents, voltages, per-phase and total powers in kW/kvar/kVA, power factors) to
 * frequency at 3110. Energy is not in that map; it sits where the PM5300 series keeps it
 * in the same numbering: 2700 "Active Energy Delivered" float32 kWh, 3204 the same as
 * INT64 Wh. Unused registers read as NaN (0xFFC00000), Schneider's "not available".
 */
export const IMAGE_FIRST = 2600;
export const IMAGE_LAST = 3299;

export const REG = {
  currentA: 3000,
  currentB: 3002,
  currentC: 3004,
  currentN: 3006,
  currentG: 3008,
  currentAvg: 3010,
  currentUnbalanceA: 3012,
  currentUnbalanceB: 3014,
  currentUnbalanceC: 3016,
  currentUnbalanceWorst: 3018,
  voltageAB: 3020,
  voltageBC: 3022,
  voltageCA: 3024,
  voltageLlAvg: 3026,
  voltageAN: 3028,
  voltageBN: 3030,
  voltageCN: 3032,
  voltageLnAvg: 3036,
  voltageUnbalanceAB: 3038,
  voltageUnbalanceBC: 3040,
  voltageUnbalanceCA: 3042,
  voltageUnbalanceLlWorst: 3044,
  voltageUnbalanceAN: 3046,
  voltageUnbalanceBN: 3048,
  voltageUnbalanceCN: 3050,
  voltageUnbalanceLnWorst: 3052,
  activePowerA: 3054,
  activePowerB: 3056,
  activePowerC: 3058,
  activePowerTotal: 3060,
  reactivePowerA: 3062,
  reactivePowerB: 3064,
  reactivePowerC: 3066,
  reactivePowerTotal: 3068,
  apparentPowerA: 3070,
  apparentPowerB: 3072,
  apparentPowerC: 3074,
  apparentPowerTotal: 3076,
  powerFactorA: 3078,
  powerFactorB: 3080,
  powerFactorC: 3082,
  powerFactorTotal: 3084,
  displacementPfA: 3086,
  displacementPfB: 3088,
  displacementPfC: 3090,
  displacementPfTotal: 3092,
  frequency: 3110,
  energyDeliveredKwh: 2700,
  energyDeliveredWh: 3204,
} as const;

export interface MeterState {
  powerW: number;
  /** Nominal line-to-line voltage where the meter sits (PT primary), V. */
  nominalVoltageLlV: number;
  powerFactor: number;
  frequencyHz: number;
  energyWh: number;
  seed: number;
  nowMs: number;
}

export class RegisterImage {
  private readonly view = new DataView(new ArrayBuffer((IMAGE_LAST - IMAGE_FIRST + 1) * 2));

  constructor() {
    for (let r = IMAGE_FIRST; r <= IMAGE_LAST; r += 2) this.view.setUint16((r - IMAGE_FIRST) * 2, 0xffc0);
  }

  has(register: number): boolean {
    return register >= IMAGE_FIRST && register <= IMAGE_LAST;
  }

  word(register: number): number {
    return this.view.getUint16((register - IMAGE_FIRST) * 2);
  }

  float32(register: number, value: number): void {
    this.view.setFloat32((register - IMAGE_FIRST) * 2, value);
  }

  int64(register: number, value: number): void {
    this.view.setBigInt64((register - IMAGE_FIRST) * 2, BigInt(Math.round(value)));
  }
}

const unbalancePct = (xs: number[], avg: number) => xs.map((x) => (avg === 0 ? 0 : (100 * Math.abs(x - avg)) / avg));

export function writePm5340(image: RegisterImage, m: MeterState): void {
  const j = (k: number, scale: number) => 1 + scale * jitter(m.seed ^ k, m.nowMs);
  // Per-phase split of the load: close to a third each, as on a well-balanced bus.
  const pa = (m.powerW / 3) * j(1, 0.01);
  const pb = (m.powerW / 3) * j(2, 0.01);
  const pc = m.powerW - pa - pb;
  const phasesW = [pa, pb, pc];
  const lnNominal = m.nominalVoltageLlV / Math.sqrt(3);
  const vln = [lnNominal * j(3, 0.003), lnNominal * j(4, 0.003), lnNominal * j(5, 0.003)];
  const vll = [vln[0]! + vln[1]!, vln[1]! + vln[2]!, vln[2]! + vln[0]!].map((v) => (v * Math.sqrt(3)) / 2);
  const tanPhi = Math.tan(Math.acos(m.powerFactor));
  const currents = phasesW.map((p, i) => p / m.powerFactor / vln[i]!);
  const iAvg = (currents[0]! + currents[1]! + currents[2]!) / 3;
  const vllAvg = (vll[0]! + vll[1]! + vll[2]!) / 3;
  const vlnAvg = (vln[0]! + vln[1]! + vln[2]!) / 3;
  const iUnb = unbalancePct(currents, iAvg);
  const vllUnb = unbalancePct(vll, vllAvg);
  const vlnUnb = unbalancePct(vln, vlnAvg);

  const f = (r: number, v: number) => image.float32(r, v);
  f(REG.currentA, currents[0]!);
  f(REG.currentB, currents[1]!);
  f(REG.currentC, currents[2]!);
  f(REG.currentN, 0.02 * iAvg * j(6, 0.2));
  f(REG.currentG, 0);
  f(REG.currentAvg, iAvg);
  f(REG.currentUnbalanceA, iUnb[0]!);
  f(REG.currentUnbalanceB, iUnb[1]!);
  f(REG.currentUnbalanceC, iUnb[2]!);
  f(REG.currentUnbalanceWorst, Math.max(...iUnb));
  f(REG.voltageAB, vll[0]!);
  f(REG.voltageBC, vll[1]!);
  f(REG.voltageCA, vll[2]!);
  f(REG.voltageLlAvg, vllAvg);
  f(REG.voltageAN, vln[0]!);
  f(REG.voltageBN, vln[1]!);
  f(REG.voltageCN, vln[2]!);
  f(REG.voltageLnAvg, vlnAvg);
  f(REG.voltageUnbalanceAB, vllUnb[0]!);
  f(REG.voltageUnbalanceBC, vllUnb[1]!);
  f(REG.voltageUnbalanceCA, vllUnb[2]!);
  f(REG.voltageUnbalanceLlWorst, Math.max(...vllUnb));
  f(REG.voltageUnbalanceAN, vlnUnb[0]!);
  f(REG.voltageUnbalanceBN, vlnUnb[1]!);
  f(REG.voltageUnbalanceCN, vlnUnb[2]!);
  f(REG.voltageUnbalanceLnWorst, Math.max(...vlnUnb));
  // Powers in kW / kvar / kVA, as the meter reports them.
  f(REG.activePowerA, pa / 1000);
  f(REG.activePowerB, pb / 1000);
  f(REG.activePowerC, pc / 1000);
  f(REG.activePowerTotal, m.powerW / 1000);
  f(REG.reactivePowerA, (pa * tanPhi) / 1000);
  f(REG.reactivePowerB, (pb * tanPhi) / 1000);
  f(REG.reactivePowerC, (pc * tanPhi) / 1000);
  f(REG.reactivePowerTotal, (m.powerW * tanPhi) / 1000);
  f(REG.apparentPowerA, pa / m.powerFactor / 1000);
  f(REG.apparentPowerB, pb / m.powerFactor / 1000);
  f(REG.apparentPowerC, pc / m.powerFactor / 1000);
  f(REG.apparentPowerTotal, m.powerW / m.powerFactor / 1000);
  // The PM5340 encodes power factor in Schneider's four-quadrant form; for a lagging load
  // drawing power (quadrant 1, every load here) that encoding is the plain PF value.
  for (const r of [REG.powerFactorA, REG.powerFactorB, REG.powerFactorC, REG.powerFactorTotal]) f(r, m.powerFactor);
  const dpf = Math.min(1, m.powerFactor + 0.004);
  for (const r of [REG.displacementPfA, REG.displacementPfB, REG.displacementPfC, REG.displacementPfTotal]) f(r, dpf);
  f(REG.frequency, m.frequencyHz);
  f(REG.energyDeliveredKwh, m.energyWh / 1000);
  image.int64(REG.energyDeliveredWh, m.energyWh);
}
