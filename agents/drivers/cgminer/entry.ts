import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { MinerDevice, minerDevices } from '../../../services/domain/devices.ts';
import { MinerGroup } from '../../../services/domain/site-schema.ts';
import { Strict } from '../../../services/lib/strict.ts';
import { driverEntry } from '../driver-entry.ts';
import { MINER_MAKES } from './miner.ts';
import { registerProbeMiner } from './probe.ts';

export const CGMINER_DEFAULTS = { minerTimeoutMs: 3_000, minerConcurrency: 256 } as const;

/**
 * Miners over the cgminer API (port 4028) in each firmware's dialect (makes/). Its tiers
 * (telemetry every minerIntervalMs, inventory every 5 min) are the poller's own, because
 * command batches preempt them; `tier` is therefore null here.
 */
export const cgminer = driverEntry({
  protocol: 'cgminer',
  summary: `ASIC miners over the cgminer API, one dialect per firmware family (${MINER_MAKES.join(', ')})`,
  deviceKinds: ['miner'],
  site: { key: 'blocks[].miners', device: MinerGroup },
  config: Strict({
    miners: Type.Array(MinerDevice),
    minerIntervalMs: Type.Integer({ minimum: 100 }),
    /** Connect + reply deadline per miner (default 3000). */
    minerTimeoutMs: Type.Optional(Type.Integer({ minimum: 50 })),
    /** Miner connections in flight at once (default 256). */
    minerConcurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
    /** Slow tier: miner inventory (version → make, hardware, firmware) interval; 0 turns it off (default 300000). */
    minerInventoryIntervalMs: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
  // Measured on 2 cores: one pass over ~35,000 twin miners takes ~4–6 s and 4–7 CPU-seconds
  // (agent and twin together), so 30 s leaves most of the machine to the control plane.
  fileDefaults: { minerIntervalMs: 30_000 },
  fromSite: (site, opts) => ({ miners: minerDevices(site, opts) }),
  readme: fileURLToPath(new URL('./README.md', import.meta.url)),
  sampleConfig: fileURLToPath(new URL('./sample.yaml', import.meta.url)),
  tier: () => null,
  probe: { command: 'miner', register: registerProbeMiner },
});
