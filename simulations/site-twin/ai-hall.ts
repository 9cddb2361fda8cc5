import type { GpuModel } from '../../services/domain/catalog.ts';
import type { Block, GpuGroup, SiteFile } from '../../services/domain/site-schema.ts';
import { jitter, seedOf } from './noise.ts';

/**
 * The AI hall's power: GPU groups whose draw follows a workload, computed per group (a
 * group of 10,000 GPUs is one number, not 10,000 objects). Pure: time comes in as nowMs.
 *
 * - training (colocation tenants): a steady ~92 % of the GPU's dynamic range, with a
 *   checkpoint every 30 minutes during which GPUs wait on storage and drop to ~30 %;
 * - inference (GPU cloud): follows the day, lowest before dawn and highest mid-afternoon
 *   in the site's time zone;
 * - idle: a block not in the ai state keeps its GPUs powered at idle; a block being
 *   converted has none energised yet.
 * Each GPU draws between idlePowerW and tdpW; each also carries its share of the node's
 * host overhead (CPUs, NICs, fans): systemPowerW / gpusPerSystem − tdpW.
 */
export type Workload = 'training' | 'inference' | 'idle' | 'off';

const CHECKPOINT_EVERY_MS = 30 * 60_000;
const CHECKPOINT_LASTS_MS = 90_000;

export function workloadOf(block: Block, site: SiteFile): Workload {
  if (block.state === 'converting') return 'off';
  if (block.state !== 'ai') return 'idle';
  const contract = site.contracts.find((c) => c.id === block.contractId);
  return contract?.kind === 'gpu-cloud' ? 'inference' : 'training';
}

/** Share of the dynamic range (idle → TDP) a busy GPU uses at `nowMs`. */
export function busyShare(workload: Workload, nowMs: number, localHour: number, seed: number): number {
  if (workload === 'training') {
    const inCheckpoint = nowMs % CHECKPOINT_EVERY_MS < CHECKPOINT_LASTS_MS;
    return (inCheckpoint ? 0.3 : 0.92) + 0.02 * jitter(seed, nowMs);
  }
  if (workload === 'inference') {
    // Peak at 15:00, trough at 03:00 local.
    const day = Math.cos((2 * Math.PI * (localHour - 15)) / 24);
    return 0.55 + 0.3 * day + 0.03 * jitter(seed, nowMs);
  }
  return 0;
}

export function gpuGroupPowerW(group: GpuGroup, model: GpuModel, workload: Workload, nowMs: number, localHour: number): number {
  if (workload === 'off') return 0;
  const hostOverheadW = Math.max(0, model.systemPowerW / model.gpusPerSystem - model.tdpW);
  const defaultUtilization = workload === 'inference' ? 0.7 : 0.95;
  const busyGpus = group.count * (workload === 'idle' ? 0 : (group.utilization ?? defaultUtilization));
  const share = Math.min(1, Math.max(0, busyShare(workload, nowMs, localHour, seedOf(group.model))));
  const busyW = model.idlePowerW + (model.tdpW - model.idlePowerW) * share;
  return busyGpus * busyW + (group.count - busyGpus) * model.idlePowerW + group.count * hostOverheadW;
}

const hourFormats = new Map<string, Intl.DateTimeFormat>();

export function localHour(timeZone: string, nowMs: number): number {
  let fmt = hourFormats.get(timeZone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
    hourFormats.set(timeZone, fmt);
  }
  let hour = 0;
  let minute = 0;
  for (const part of fmt.formatToParts(nowMs)) {
    if (part.type === 'hour') hour = Number(part.value);
    if (part.type === 'minute') minute = Number(part.value);
  }
  return hour + minute / 60;
}

/** IT power of a block's GPUs, W. Unknown GPU models are an error (the site file is wrong). */
export function blockAiPowerW(block: Block, site: SiteFile, gpus: ReadonlyMap<string, GpuModel>, nowMs: number): number {
  if (block.gpus.length === 0) return 0;
  const workload = workloadOf(block, site);
  const hour = localHour(site.site.timezone, nowMs);
  let total = 0;
  for (const group of block.gpus) {
    const model = gpus.get(group.model);
    if (model === undefined) throw new Error(`block ${block.id}: GPU model "${group.model}" is not in the GPU catalog`);
    total += gpuGroupPowerW(group, model, workload, nowMs, hour);
  }
  return total;
}
