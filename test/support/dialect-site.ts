import type { Firmware, SiteFile } from '../../services/domain/site-schema.ts';

/**
 * A twin site for driver tests: one block per firmware, `perFirmware` S21s each, on their own
 * loopback /16 (127.(60+i).0.0), no meters.
 */
export const FIRMWARES: Firmware[] = ['antminer', 'whatsminer', 'braiins', 'luxos', 'avalon'];

export function dialectSite(perFirmware = 1, firmwares: Firmware[] = FIRMWARES): SiteFile {
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
      miners: [{ model: 'S21', count: perFirmware, firmware, network: { cidr: `127.${60 + i}.0.0/16`, port: 4028 } }],
      gpus: [],
    })),
    meters: [],
    snmpDevices: [],
    gpuHosts: [],
    contracts: [],
    debt: [],
  } as SiteFile;
}
