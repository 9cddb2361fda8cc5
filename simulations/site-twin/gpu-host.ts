import { busyShare, type Workload } from './ai-hall.ts';
import { jitter, seedOf } from './noise.ts';

/**
 * One twin GPU host: GPUs whose draw, utilisation, temperature and clocks follow a moving
 * workload (ai-hall.ts busyShare), with faults an operator must see: a GPU that starts
 * throwing ECC/XID errors (and is later reset), a GPU running hot enough to throttle, and a
 * host that hangs. Pure apart from the fault switches: values are computed from nowMs.
 * Rendering to nvidia-smi's CSV and dcgm-exporter's page is in gpu-render.ts.
 */
export interface GpuSpec {
  name: string;
  tdpW: number;
  idleW: number;
  minLimitW: number;
  memoryMiB: number;
  smClockMHz: number;
  memClockMHz: number;
}

/** H100 SXM5 80GB as the recorded H100 capture reports it (limits, memory, clocks). */
export const H100_SPEC: GpuSpec = { name: 'NVIDIA H100 80GB HBM3', tdpW: 700, idleW: 70, minLimitW: 200, memoryMiB: 81559, smClockMHz: 1980, memClockMHz: 2619 };

export interface GpuFault {
  /** Uncorrectable (double-bit) ECC errors since the driver loaded. */
  eccUncorrected: number;
  eccCorrected: number;
  /** Last XID; 0 for none. */
  xid: number;
}

export interface GpuNow {
  index: number;
  uuid: string;
  busId: string;
  powerW: number;
  utilizationPct: number;
  memoryUtilizationPct: number;
  memoryUsedMiB: number;
  tempC: number;
  memoryTempC: number;
  smClockMHz: number;
  memClockMHz: number;
  throttle: string[];
  eccCorrectedVolatile: number;
  eccUncorrectedVolatile: number;
  eccCorrectedAggregate: number;
  eccUncorrectedAggregate: number;
  remappedRowsUncorrectable: number;
  xid: number;
}

export class TwinGpuHost {
  hung = false;
  private readonly faults = new Map<number, GpuFault>();
  private readonly hot = new Set<number>();
  /** Errors that survived resets (aggregate counts live in the InfoROM). */
  private readonly aggregate = new Map<number, { corrected: number; uncorrected: number }>();

  constructor(
    readonly host: string,
    readonly gpus: number,
    readonly workload: Workload,
    readonly spec: GpuSpec = H100_SPEC,
  ) {}

  /** The GPU starts reporting errors (counts grow as given). */
  fail(index: number, fault: GpuFault): void {
    this.faults.set(index, fault);
  }

  /** Driver reload / GPU reset: volatile counts and the last XID go back to 0; aggregate counts stay. */
  reset(index: number): void {
    const f = this.faults.get(index);
    if (f === undefined) return;
    const agg = this.aggregate.get(index) ?? { corrected: 0, uncorrected: 0 };
    this.aggregate.set(index, { corrected: agg.corrected + f.eccCorrected, uncorrected: agg.uncorrected + f.eccUncorrected });
    this.faults.delete(index);
  }

  setHot(index: number, on: boolean): void {
    if (on) this.hot.add(index);
    else this.hot.delete(index);
  }

  read(nowMs: number): GpuNow[] {
    const out: GpuNow[] = [];
    const hour = new Date(nowMs).getUTCHours() + new Date(nowMs).getUTCMinutes() / 60;
    for (let i = 0; i < this.gpus; i++) {
      const seed = seedOf(`${this.host}/${i}`);
      const share = Math.min(1, Math.max(0, busyShare(this.workload, nowMs, hour, seed)));
      const s = this.spec;
      const hot = this.hot.has(i);
      let powerW = s.idleW + (s.tdpW - s.idleW) * share + 5 * jitter(seed, nowMs);
      let smClock = share > 0.05 ? s.smClockMHz : 345;
      let tempC = 32 + 0.04 * powerW + 1.5 * jitter(seed + 1, nowMs, 5000);
      const throttle: string[] = share < 0.05 ? ['gpu_idle'] : [];
      if (hot) {
        tempC = 91 + jitter(seed + 2, nowMs, 5000);
        smClock = Math.round(s.smClockMHz * 0.6);
        powerW *= 0.7;
        throttle.push('sw_thermal_slowdown', 'hw_thermal_slowdown');
      }
      const f = this.faults.get(i);
      const agg = this.aggregate.get(i) ?? { corrected: 0, uncorrected: 0 };
      out.push({
        index: i,
        uuid: uuidOf(this.host, i),
        busId: `00000000:${(0x18 + i * 0x10).toString(16).toUpperCase().padStart(2, '0')}:00.0`,
        powerW: Math.max(s.idleW * 0.8, powerW),
        utilizationPct: Math.round(share * 100),
        memoryUtilizationPct: Math.round(share * 35),
        memoryUsedMiB: share > 0.05 ? Math.round(s.memoryMiB * (0.2 + 0.6 * share)) : 1,
        tempC: Math.round(tempC),
        memoryTempC: Math.round(tempC - 4),
        smClockMHz: smClock,
        memClockMHz: s.memClockMHz,
        throttle,
        eccCorrectedVolatile: f?.eccCorrected ?? 0,
        eccUncorrectedVolatile: f?.eccUncorrected ?? 0,
        eccCorrectedAggregate: agg.corrected + (f?.eccCorrected ?? 0),
        eccUncorrectedAggregate: agg.uncorrected + (f?.eccUncorrected ?? 0),
        remappedRowsUncorrectable: agg.uncorrected + (f?.eccUncorrected ?? 0),
        xid: f?.xid ?? 0,
      });
    }
    return out;
  }
}

/** A stable, unmasked UUID per host and index. */
export function uuidOf(host: string, index: number): string {
  const h = (n: number) => seedOf(`${host}/${index}/${n}`).toString(16).padStart(8, '0');
  const a = h(1);
  const b = h(2);
  const c = h(3);
  const d = h(4);
  return `GPU-${a}-${b.slice(0, 4)}-${b.slice(4, 8)}-${c.slice(0, 4)}-${c.slice(4, 8)}${d}`;
}
