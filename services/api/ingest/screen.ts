import type { Reading } from '../../agent-contract/batch-schema.ts';
import { metricOutOfBounds } from '../../agent-contract/metric-bounds.ts';
import { DeviceOwners } from '../../domain/device-owners.ts';
import type { SiteFile } from '../../domain/site-schema.ts';
import type { Logger } from '../../lib/log.ts';

/**
 * What the control plane refuses inside a valid batch, reading by reading, and counts:
 *  - not-owner: the device belongs to another agent (site file `agents`, or on a site
 *    without that list, the agent that shipped first holds every device);
 *  - unassigned: no agent owns the device;
 *  - future: dated more than the clock-skew allowance ahead of the control plane's clock
 *    (one reading from next year would otherwise hide every newer real one);
 *  - out-of-bounds: a metric outside its bound (agent-contract/metric-bounds.ts).
 * The rest of the batch is applied: one bad reading loses nothing else.
 */

export const REJECT_REASONS = ['not-owner', 'unassigned', 'future', 'out-of-bounds'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
export type RejectCounts = Record<RejectReason, number>;

export const DEFAULT_CLOCK_SKEW_MS = 60_000;

export interface AgentIngest {
  agentId: string;
  /** Newest reading time accepted from this agent; null before the first. */
  newestReadingAtMs: number | null;
  rejected: RejectCounts;
}

export interface ScreenResult {
  kept: Reading[];
  rejected: RejectCounts;
}

export function zeroCounts(): RejectCounts {
  return { 'not-owner': 0, unassigned: 0, future: 0, 'out-of-bounds': 0 };
}

export class IngestScreen {
  private readonly owners: DeviceOwners;
  private soleAgent: string | null = null;
  private readonly perAgent = new Map<string, AgentIngest>();
  private readonly totals = zeroCounts();

  constructor(
    site: SiteFile,
    private readonly log: Logger,
    private readonly clockSkewMs = DEFAULT_CLOCK_SKEW_MS,
  ) {
    this.owners = new DeviceOwners(site);
    for (const id of this.owners.agentIds) this.agent(id);
  }

  /** Agents the site file names (empty when it has no `agents` list). */
  expectedAgents(): readonly string[] {
    return this.owners.agentIds;
  }

  screen(agentId: string, readings: readonly Reading[], now: number): ScreenResult {
    const a = this.agent(agentId);
    const rejected = zeroCounts();
    const kept: Reading[] = [];
    const firstOf: Partial<Record<RejectReason, string>> = {};
    const reject = (reason: RejectReason, detail: string) => {
      rejected[reason]++;
      firstOf[reason] ??= detail;
    };
    if (!this.owners.assigned && this.soleAgent === null && readings.length > 0) {
      this.soleAgent = agentId;
      this.log.info({ agentId }, 'the site file assigns no devices to agents: this agent holds every device until a restart');
    }
    for (const r of readings) {
      const owner = this.owners.assigned ? this.owners.ownerOf(r.deviceId, r.blockId) : this.soleAgent;
      if (owner === null) reject('unassigned', r.deviceId);
      else if (owner !== agentId) reject('not-owner', `${r.deviceId} (owned by ${owner})`);
      else if (r.atMs > now + this.clockSkewMs) reject('future', `${r.deviceId} at ${r.atMs} ms`);
      else {
        const bad = metricOutOfBounds(r.metrics);
        if (bad) reject('out-of-bounds', `${r.deviceId} ${bad.name}=${bad.value}`);
        else kept.push(r);
      }
    }
    for (const reason of Object.keys(firstOf) as RejectReason[]) {
      if (a.rejected[reason] === 0) this.log.warn({ agentId, reason, count: rejected[reason], first: firstOf[reason] }, `refusing readings from agent ${agentId}: ${reason}`);
      a.rejected[reason] += rejected[reason];
      this.totals[reason] += rejected[reason];
    }
    for (const r of kept) if (a.newestReadingAtMs === null || r.atMs > a.newestReadingAtMs) a.newestReadingAtMs = r.atMs;
    return { kept, rejected };
  }

  agents(): AgentIngest[] {
    return [...this.perAgent.values()].map((a) => ({ ...a, rejected: { ...a.rejected } }));
  }

  rejectedTotals(): RejectCounts {
    return { ...this.totals };
  }

  private agent(agentId: string): AgentIngest {
    let a = this.perAgent.get(agentId);
    if (!a) this.perAgent.set(agentId, (a = { agentId, newestReadingAtMs: null, rejected: zeroCounts() }));
    return a;
  }
}

/** SWITCHYARD_CLOCK_SKEW_MS: how far ahead of this clock a reading may be dated (default 60 s). */
export function clockSkewFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SWITCHYARD_CLOCK_SKEW_MS;
  if (raw === undefined || raw === '') return DEFAULT_CLOCK_SKEW_MS;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0 || v > 86_400_000) throw new Error(`SWITCHYARD_CLOCK_SKEW_MS must be an integer number of ms from 0 to 86400000, got "${raw}"`);
  return v;
}
