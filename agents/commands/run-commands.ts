import type { DeviceCommand } from '../../services/agent-contract/device-command.ts';
import type { DeviceAck } from '../../services/agent-contract/protocol.ts';
import { isActuatorCommand, type ActuatorRunner } from '../drivers/actuator-runner.ts';
import type { CommandExecutor, RunOptions } from './executor.ts';

/**
 * One batch, two runners: PDU outlets and relay coils go to the actuator runner, miners and GPU
 * hosts to the executor, both at once. Acks come back in the batch's order.
 */
export async function runCommands(executor: CommandExecutor, actuators: ActuatorRunner | undefined, commands: readonly DeviceCommand[], opts: RunOptions): Promise<DeviceAck[]> {
  if (actuators === undefined || !commands.some(isActuatorCommand)) return executor.run(commands, opts);
  const coarse = commands.filter(isActuatorCommand);
  const fine = commands.filter((c) => !isActuatorCommand(c));
  const [a, b] = await Promise.all([actuators.run(coarse, opts), fine.length ? executor.run(fine, opts) : Promise.resolve([])]);
  const byCommand = new Map<DeviceCommand, DeviceAck>();
  coarse.forEach((c, i) => byCommand.set(c, a[i] as DeviceAck));
  fine.forEach((c, i) => byCommand.set(c, b[i] as DeviceAck));
  return commands.map((c) => byCommand.get(c) as DeviceAck);
}
