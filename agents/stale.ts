import type { Reading } from '../services/agent-contract/batch-schema.ts';
import type { Logger } from '../services/lib/log.ts';

/**
 * Stale detection: a device whose last online reading is older than `staleAfterMs` (it has
 * been offline or in error that long, or its tier is overrunning) is stale. The numbers going
 * stale and fresh again are logged once per check, never a line per device per cycle.
 */
export class StaleTracker {
  private readonly lastOnlineAt = new Map<string, number>();
  private readonly firstSeenAt = new Map<string, number>();
  private readonly staleIds = new Set<string>();

  constructor(private readonly log: Logger) {}

  record(reading: Reading): void {
    if (!this.firstSeenAt.has(reading.deviceId)) this.firstSeenAt.set(reading.deviceId, reading.atMs);
    if (reading.status === 'online') this.lastOnlineAt.set(reading.deviceId, reading.atMs);
  }

  check(devices: ReadonlyArray<{ id: string }>, staleAfterMs: number, nowMs: number): void {
    const went: string[] = [];
    const back: string[] = [];
    for (const { id } of devices) {
      const since = this.lastOnlineAt.get(id) ?? this.firstSeenAt.get(id);
      const stale = since !== undefined && nowMs - since > staleAfterMs;
      if (stale && !this.staleIds.has(id)) {
        this.staleIds.add(id);
        went.push(id);
      } else if (!stale && this.staleIds.delete(id)) back.push(id);
    }
    if (went.length > 0) this.log.warn({ count: went.length, examples: went.slice(0, 5), staleAfterMs }, `${went.length} devices have had no online reading for ${staleAfterMs} ms (stale)`);
    if (back.length > 0) this.log.info({ count: back.length, examples: back.slice(0, 5) }, `${back.length} stale devices report again`);
  }

  count(): number {
    return this.staleIds.size;
  }

  isStale(id: string): boolean {
    return this.staleIds.has(id);
  }
}
