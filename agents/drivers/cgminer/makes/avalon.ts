import type { Dialect, MinerSession } from '../miner.ts';
import { minerTelemetry } from '../normalise.ts';
import { requireSuccess } from '../reply.ts';

/**
 * Canaan Avalon dialect (cgminer 4.11): telemetry from `summary` and `estats` (the MM ID
 * strings, parsed in ../avalon-stats.ts); sleep/wake with `ascset 0,softoff|softon,1:<unix seconds>`
 * (CURTAILMENT_COMMANDS.md: pyasic backends/avalonminer.py). Power is set as a work level
 * 0–2 (`ascset 0,worklevel,set,N`), not in watts.
 */
async function soft(s: MinerSession, action: 'softoff' | 'softon'): Promise<void> {
  const reply = await s.call('ascset', `0,${action},1:${Math.floor(Date.now() / 1000)}`);
  requireSuccess(reply);
}

export const avalon: Dialect = {
  make: 'avalon',
  telemetryCommand: 'summary+estats',
  telemetry: minerTelemetry,
  sleep: (s) => soft(s, 'softoff'),
  wake: (s) => soft(s, 'softon'),
  unsupported: { setPowerTarget: 'Avalon firmware takes a work level 0–2 (ascset worklevel), not watts' },
};
