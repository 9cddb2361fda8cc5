import { minerTelemetry } from '../normalise.ts';
import { entries, requireSuccess } from '../reply.ts';
import { MinerCommandError, type Dialect, type MinerSession } from '../miner.ts';

/**
 * Braiins OS (BOSminer's cgminer-compatible API on 4028, no auth). Telemetry: `summary`
 * ("MHS av", "MHS 5s" …), `temps` (Board/Chip) and `fans` (RPM), as in the S9/S17 recordings.
 * Sleep/wake: `pause` / `resume` (CURTAILMENT_COMMANDS.md: pyasic rpc/bosminer.py).
 */
async function toggle(s: MinerSession, command: 'pause' | 'resume'): Promise<void> {
  const reply = await s.call(command);
  requireSuccess(reply);
  if (entries(reply, command.toUpperCase()).length === 0) throw new MinerCommandError(`${command}: reply has no ${command.toUpperCase()} section`);
}

export const braiins: Dialect = {
  make: 'braiins',
  telemetryCommand: 'summary+temps+fans',
  telemetry: minerTelemetry,
  sleep: (s) => toggle(s, 'pause'),
  wake: (s) => toggle(s, 'resume'),
  unsupported: { setPowerTarget: "Braiins OS+ sets its power target over gRPC (PerformanceService/SetPowerTarget on 50051), which this driver does not speak" },
};
