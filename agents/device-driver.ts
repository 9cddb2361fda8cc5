import type { DeviceKind, Reading } from '../services/agent-contract/batch-schema.ts';

/**
 * The contract between the poller and every device driver (cgminer miners today; Modbus
 * meters, SNMP PDUs, nvidia-smi GPU hosts plug in the same way).
 *
 *   const driver: DeviceDriver<MyTarget> = {
 *     kind: 'snmp',
 *     async read(target, { timeoutMs, signal }) { … return reading; },
 *   };
 *
 * Rules a driver keeps:
 * - `read` returns one Reading for `target` (or, for a target that is a host of several
 *   devices, such as a GPU server read by one nvidia-smi run, one Reading per device): status 'online' with metrics in base units
 *   (power_w, energy_wh, temp_c …), 'offline' when the device cannot be reached (no
 *   metrics: offline is a state, never zeros), 'error' when it answered with something
 *   unusable. `error` says what was being done and why.
 * - It stops its I/O when `signal` aborts and never takes longer than `timeoutMs` on
 *   purpose. The poller does not trust that: at the deadline it records the device as
 *   offline with a timeout error and frees the slot, whatever the driver is still doing.
 * - It may throw; the poller turns a throw into an 'error' reading with the message.
 * - Targets are validated at start-up (profiles loaded, addresses parsed), never in `read`.
 */
export interface PollTarget {
  /** Device id, unique across the agent. */
  id: string;
  blockId?: string;
  /** The target's own kind where one driver reads several (SNMP: pdu, cooling, ups); default the driver's. */
  kind?: DeviceKind;
}

export interface ReadOptions {
  /** The deadline for this one read, connect to last byte. */
  timeoutMs: number;
  /** Aborted when the deadline passes or the poller stops. */
  signal: AbortSignal;
}

/** R: what one read yields; Reading[] for a driver whose target holds several devices. */
export interface DeviceDriver<T extends PollTarget = PollTarget, R extends Reading | Reading[] = Reading> {
  /** Protocol family, for logs: 'cgminer', 'modbus', 'snmp', 'nvidia-smi'. */
  readonly kind: string;
  /** What the readings are about (Reading.kind). */
  readonly deviceKind: DeviceKind;
  read(target: T, opts: ReadOptions): Promise<R>;
}
