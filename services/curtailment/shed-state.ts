import type { Firmware } from '../domain/site-schema.ts';

/**
 * What the shed planner knows about the site at the moment it plans: live draw per device
 * (from telemetry), model facts (from the catalog) and the AI contracts' flexibility.
 * Offline is a state, not a zero draw: an offline device is never planned nor counted.
 */

export interface MinerState {
  id: string;
  blockId: string;
  /** Key into the ASIC catalog. */
  model: string;
  online: boolean;
  /** Live draw, W. A non-finite value is unknown: the miner is left out of the plan. */
  powerW: number;
  /** Nominal efficiency of the model, J/TH (catalog). */
  efficiencyJPerTh: number;
  /** Allowed power-target range for partial curtailment, W (catalog). */
  minPowerW: number;
  maxPowerW: number;
  /** Draw while asleep, W (catalog): what a sleep leaves on. */
  sleepPowerW: number;
  /** False where the firmware takes no watt target (stock Antminer, Avalon): sleep only. */
  canSetPowerTarget: boolean;
  /** The firmware, which sets what a command costs the agent (shed-plan-fast.ts); unknown: the dearest. */
  firmware?: Firmware;
}

export interface GpuHostState {
  id: string;
  blockId: string;
  /** The AI contract the host serves; a host without one is never capped. */
  contractId?: string;
  online: boolean;
  /** Live draw of the host, W. */
  powerW: number;
  /** Lowest total cap the host may get, W: its hardware floor or the SLA's, whichever is higher. */
  minCapW: number;
}

/** The part of a contract the planner reads (a Contract from site-schema fits). */
export interface ContractFlexibility {
  id: string;
  flexibility?: { maxCurtailPct: number };
}

export interface ShedState {
  /** Site load on the revenue meter, W. Needed for a target-load request. */
  siteLoadW: number;
  miners: readonly MinerState[];
  gpuHosts: readonly GpuHostState[];
  contracts: readonly ContractFlexibility[];
}
