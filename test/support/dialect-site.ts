import type { Firmware, SiteFile } from '../../services/domain/site-schema.ts';

/**
 * A twin site for driver tests: one block per firmware, `perFirmware` S21s each, on their own
 * loopback /16 (127.(60+i).0.0), no meters.
 */
export const FIRMWARES: Firmware[] = ['antminer', 'whatsminer', 'braiins', 'luxos', 'avalon'];

/** A model each firmware runs on, for a site file that must pass the site checks (S21 is Bitmain's). */
export const FITTING_MODELS: Readonly<Record<Firmware, string>> = { antminer: 'S21', whatsminer: 'M60S', braiins: 'S21', luxos: 'S21', avalon: 'A1466' };

/** `models`: the model per firmware (default S21 for all, which the twin accepts as it is). */
export function dialectSite(perFirmware = 1, firmwares: Firmware[] = FIRMWARES, models: Partial<Record<Firmware, string>> = {}): SiteFile {
  return {
    site: { id: 'dialects', name: 'Dialects', timezone: 'America/Chicago', market: { iso: 'ERCOT', settlementPoint: 'HB_WEST' }, importLimitMw: 150, poolFee: 0.02 },
    blocks: firmwares.map((firmware, i) => ({
      id: `B${i + 1}`,
      name: `${firmware} hall`,
      feed: 'T1',
      capacityMw: 13,
      cooling: 'air' as const,
      state: 'mining' as const,
      capability: ['mining' as const],
      overheadFactor: 1.05,
      miners: [{ model: models[firmware] ?? 'S21', count: perFirmware, firmware, network: { cidr: `127.${60 + i}.0.0/16`, port: 4028 } }],
      gpus: [],
    })),
    meters: [],
    snmpDevices: [],
    gpuHosts: [],
    contracts: [],
    debt: [],
  } as SiteFile;
}
