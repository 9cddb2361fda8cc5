import type { Logger } from '../services/lib/log.ts';
import type { Reading } from '../services/agent-contract/batch-schema.ts';

/**
 * Remembers each device's last status and logs a change once: when a device goes offline
 * (or starts erroring) and once when it is back. A whole hall dropping at once would be
 * tens of thousands of lines, so past `perCycleLimit` changes in one cycle the rest are
 * counted and logged as one summary line by `flush()`.
 */
export class DeviceStates {
  private readonly last = new Map<string, Reading['status']>();
  private logged = 0;
  private suppressed = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly perCycleLimit = 20,
  ) {}

  record(reading: Reading): void {
    const before = this.last.get(reading.deviceId);
    if (before === reading.status) return;
    this.last.set(reading.deviceId, reading.status);
    // The first sight of a healthy device is not a change worth a line.
    if (before === undefined && reading.status === 'online') return;
    const change = `${before ?? 'unknown'}→${reading.status}`;
    if (this.logged >= this.perCycleLimit) {
      this.suppressed.set(change, (this.suppressed.get(change) ?? 0) + 1);
      return;
    }
    this.logged++;
    const fields = { device: reading.deviceId, kind: reading.kind, from: before ?? 'unknown', to: reading.status };
    if (reading.status === 'online') this.log.info(fields, `${reading.kind} ${reading.deviceId} is back online`);
    else this.log.warn({ ...fields, error: reading.error }, `${reading.kind} ${reading.deviceId} is ${reading.status}: ${reading.error ?? ''}`);
  }

  /** Ends a polling cycle: logs what was held back. */
  flush(): void {
    for (const [change, count] of this.suppressed) this.log.warn({ change, count }, `${count} more devices changed ${change}`);
    this.suppressed.clear();
    this.logged = 0;
  }

  counts(): Record<Reading['status'], number> {
    const out = { online: 0, offline: 0, error: 0 };
    for (const status of this.last.values()) out[status]++;
    return out;
  }
}
