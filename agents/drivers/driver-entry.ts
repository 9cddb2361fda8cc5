import type { Static, TObject, TProperties, TSchema } from '@sinclair/typebox';
import type { Command } from 'commander';
import type { DeviceOptions } from '../../services/domain/devices.ts';
import type { SiteFile } from '../../services/domain/site-schema.ts';
import type { Logger } from '../../services/lib/log.ts';
import type { DriverTier } from '../poller.ts';

/**
 * One protocol, registered once (registry.ts), as Telegraf's inputs.Add and evcc's
 * registry.Add do: everything the rest of the agent and the CLI need to know about it.
 * A new device of an existing protocol is a YAML profile in `profileDir`; a new protocol
 * is a folder agents/drivers/<protocol>/ with an entry.ts, a README.md and a sample.yaml.
 */
export interface DriverEntry<P extends TProperties = TProperties, D extends Partial<Static<TObject<P>>> = Partial<Static<TObject<P>>>> {
  protocol: string;
  /** What it reads, one line (README, `switchyard profiles`). */
  summary: string;
  /** The Reading kinds its devices have. */
  deviceKinds: readonly string[];
  /** Where the site file lists this protocol's devices, and the schema of one of them. */
  site: { key: string; device: TSchema };
  /** This protocol's keys in the agent config; AgentConfig is built from every entry's. */
  config: TObject<P>;
  /** Defaults of its keys in an agent config file (`switchyard agent --config`), e.g. its interval. */
  fileDefaults: Partial<Static<TObject<P>>>;
  /** Its devices in a site file, as the agent config lists them (portOverride: a twin or test port). */
  fromSite(site: SiteFile, opts?: DeviceOptions): D;
  /** Its YAML device profiles (agents/profiles/<protocol>/), when it has any. */
  profileDir?: string;
  /** Names of the profiles in profileDir (each loads and validates). */
  profileNames?: () => string[];
  loadProfile?: (name: string) => unknown;
  /** README.md and sample.yaml in the driver's folder (absolute paths). */
  readme: string;
  sampleConfig: string;
  /**
   * Its poll tier for the devices in an agent config; null when the config has none. Built
   * (profiles loaded) before anything starts, so a bad profile name fails at start-up.
   */
  tier(config: Static<TObject<P>>, log: Logger): DriverTier<any, any> | null;
  /** `switchyard probe <command>`: read one device once and print it. */
  probe: { command: string; register(probe: Command): void };
}

/** Same object back, typed: the entry's own config keys stay visible to AgentConfig. */
export function driverEntry<P extends TProperties, D extends Partial<Static<TObject<P>>>>(entry: DriverEntry<P, D>): DriverEntry<P, D> {
  return entry;
}
