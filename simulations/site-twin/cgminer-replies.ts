import type { MinerDevice } from '../../services/domain/devices.ts';
import type { Firmware } from '../../services/domain/site-schema.ts';
import type { MinerSnapshot, VirtualMiner } from './miner.ts';
import type { TwinSecrets } from './twin-secrets.ts';

/**
 * Pure builders of cgminer API replies, shaped after the recorded replies in
 * ../shared/fixtures/miners (STATUS array first, one upper-case section, "id": 1).
 * Hashrate units follow the firmware: Antminer stock reports "GHS 5s" (a string, as in the
 * S15/S17 recordings) and "GHS av"; the others report "MHS …" numbers.
 */
export type CgminerReply = Record<string, unknown>;

export interface ReplyContext {
  device: MinerDevice;
  miner: VirtualMiner;
  nowMs: number;
  /** Credentials the miner expects (default: DEFAULT_SECRETS). */
  secrets?: TwinSecrets;
}

/** cgminer api.c message codes used here. */
export const CODE = {
  pools: 7,
  devs: 9,
  summary: 11,
  invalidCommand: 14,
  version: 22,
  invalidJson: 23,
  missingCommand: 24,
  accessDenied: 45,
  stats: 70,
  missingParameter: 15,
} as const;

const DESCRIPTION: Record<Firmware, string> = {
  antminer: 'cgminer 4.9.0',
  whatsminer: 'cgminer 4.9.2',
  braiins: 'BOSminer bosminer-plus-am2 0.8.0',
  luxos: 'LUXminer 2024.6.1',
  avalon: 'cgminer 4.11.1',
};

const HASHBOARDS = 3;
/** Pool share difficulty the twin pretends to mine at; only scales share counters. */
const SHARE_DIFFICULTY = 65536;

export function statusEntry(status: 'S' | 'E' | 'I' | 'W', code: number, msg: string, firmware: Firmware, nowMs: number) {
  return { STATUS: status, When: Math.floor(nowMs / 1000), Code: code, Msg: msg, Description: DESCRIPTION[firmware] };
}

export function errorReply(code: number, msg: string, firmware: Firmware, nowMs: number): CgminerReply {
  return { STATUS: [statusEntry('E', code, msg, firmware, nowMs)], id: 1 };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function rateFields(firmware: Firmware, s: MinerSnapshot): Record<string, number | string> {
  if (firmware === 'antminer') return { 'GHS 5s': (s.hashrateHs / 1e9).toFixed(2), 'GHS av': round2(s.hashrateAvgHs / 1e9) };
  const mhs = round2(s.hashrateHs / 1e6);
  return { 'MHS av': round2(s.hashrateAvgHs / 1e6), 'MHS 5s': mhs, 'MHS 1m': mhs, 'MHS 5m': mhs, 'MHS 15m': mhs };
}

function shares(s: MinerSnapshot) {
  const accepted = Math.floor(s.totalHashes / (SHARE_DIFFICULTY * 2 ** 32));
  const rejected = Math.floor(accepted * 0.003);
  return { accepted, rejected };
}

export function summaryReply({ device, miner, nowMs }: ReplyContext): CgminerReply {
  const s = miner.snapshot(nowMs);
  const { accepted, rejected } = shares(s);
  const summary: Record<string, unknown> = {
    Elapsed: s.elapsedS,
    ...rateFields(device.firmware, s),
    'Found Blocks': 0,
    Getworks: Math.floor(s.elapsedS / 30),
    Accepted: accepted,
    Rejected: rejected,
    'Hardware Errors': 0,
    Utility: s.elapsedS > 0 ? round2((accepted * 60) / s.elapsedS) : 0,
    Stale: 0,
    'Get Failures': 0,
    'Remote Failures': 0,
    'Network Blocks': Math.floor(s.elapsedS / 600),
    'Total MH': Math.round(s.totalHashes / 1e6),
    'Difficulty Accepted': accepted * SHARE_DIFFICULTY,
    'Difficulty Rejected': rejected * SHARE_DIFFICULTY,
    'Difficulty Stale': 0,
    'Device Hardware%': 0,
    'Device Rejected%': accepted > 0 ? round2((100 * rejected) / (accepted + rejected)) : 0,
    'Last getwork': Math.floor(nowMs / 1000),
    // Whatsminer reports wall power and temperature in its summary; the twin does so for every
    // firmware until each firmware's own power source (LuxOS `power`, Braiins tuner) is modelled.
    Power: Math.round(s.powerW),
    'Power Limit': Math.round(s.powerTargetW),
    Temperature: round2(s.tempC),
  };
  if (s.fanRpm !== undefined) {
    summary['Fan Speed In'] = s.fanRpm;
    summary['Fan Speed Out'] = s.fanRpm;
  }
  return { STATUS: [statusEntry('S', CODE.summary, 'Summary', device.firmware, nowMs)], SUMMARY: [summary], id: 1 };
}

export function statsReply({ device, miner, nowMs }: ReplyContext): CgminerReply {
  const s = miner.snapshot(nowMs);
  const entry: Record<string, unknown> = {
    STATS: 0,
    ID: device.firmware === 'avalon' ? 'AVA100' : 'BTM_SOC0',
    Elapsed: s.elapsedS,
    Calls: 0,
    Wait: 0,
    Max: 0,
    Min: 99999999,
    ...rateFields('antminer', s),
    miner_count: HASHBOARDS,
    fan_num: s.fanRpm === undefined ? 0 : 4,
    temp_num: HASHBOARDS,
  };
  for (let f = 1; f <= 4; f++) entry[`fan${f}`] = s.fanRpm ?? 0;
  for (let b = 1; b <= HASHBOARDS; b++) {
    entry[`temp${b}`] = Math.round(s.tempC - 2 + b);
    entry[`temp2_${b}`] = Math.round(s.tempC + 12 + b);
    entry[`chain_rate${b}`] = (s.hashrateHs / HASHBOARDS / 1e9).toFixed(2);
  }
  return {
    STATUS: [statusEntry('S', CODE.stats, 'CGMiner stats', device.firmware, nowMs)],
    STATS: [versionEntry(device, miner), entry],
    id: 1,
  };
}

export function devsReply({ device, miner, nowMs }: ReplyContext): CgminerReply {
  const s = miner.snapshot(nowMs);
  const perBoard = s.hashrateHs / HASHBOARDS / 1e6;
  const devs = Array.from({ length: HASHBOARDS }, (_, i) => ({
    ASC: i,
    Name: 'BTM',
    ID: i,
    Enabled: 'Y',
    Status: 'Alive',
    Temperature: round2(s.tempC + i),
    'MHS av': round2(s.hashrateAvgHs / HASHBOARDS / 1e6),
    'MHS 5s': round2(perBoard),
    Accepted: Math.floor(shares(s).accepted / HASHBOARDS),
    Rejected: 0,
    'Hardware Errors': 0,
    'Device Elapsed': s.elapsedS,
  }));
  return {
    STATUS: [statusEntry('S', CODE.devs, `${HASHBOARDS} ASC(s)`, device.firmware, nowMs)],
    DEVS: devs,
    id: 1,
  };
}

export function poolsReply({ device, miner, nowMs }: ReplyContext): CgminerReply {
  const s = miner.snapshot(nowMs);
  const { accepted, rejected } = shares(s);
  const url = 'stratum+tcp://pool.switchyard.invalid:3333';
  return {
    STATUS: [statusEntry('S', CODE.pools, '1 Pool(s)', device.firmware, nowMs)],
    POOLS: [
      {
        POOL: 0,
        URL: url,
        Status: 'Alive',
        Priority: 0,
        Quota: 1,
        'Long Poll': 'N',
        Getworks: Math.floor(s.elapsedS / 30),
        Accepted: accepted,
        Rejected: rejected,
        Stale: 0,
        'Get Failures': 0,
        'Remote Failures': 0,
        User: `switchyard.${device.id}`,
        'Last Share Time': s.mode === 'mining' ? Math.floor(nowMs / 1000) : 0,
        'Diff1 Shares': accepted * SHARE_DIFFICULTY,
        'Difficulty Accepted': accepted * SHARE_DIFFICULTY,
        'Difficulty Rejected': rejected * SHARE_DIFFICULTY,
        'Last Share Difficulty': SHARE_DIFFICULTY,
        'Stratum Active': true,
        'Stratum URL': url.replace('stratum+tcp://', ''),
      },
    ],
    id: 1,
  };
}

export function versionReply({ device, miner, nowMs }: ReplyContext): CgminerReply {
  return {
    STATUS: [statusEntry('S', CODE.version, 'CGMiner versions', device.firmware, nowMs)],
    VERSION: [{ ...versionEntry(device, miner), API: '3.7' }],
    id: 1,
  };
}

/** cgminer `devdetails`: one entry per hashboard, naming the driver of the firmware. */
const DEVDETAILS_DRIVER: Record<Firmware, string> = { antminer: 'bitmain-soc', whatsminer: 'btminer', braiins: 'bosminer', luxos: 'LUXminer', avalon: 'avalon' };

export function devdetailsReply({ device, miner, nowMs }: ReplyContext): CgminerReply {
  const details = Array.from({ length: HASHBOARDS }, (_, i) => ({
    DEVDETAILS: i,
    Name: 'ASC',
    ID: i,
    Driver: DEVDETAILS_DRIVER[device.firmware],
    Kernel: '',
    Model: `${miner.model.make} ${miner.model.name}`,
    'Device Path': '',
  }));
  return { STATUS: [statusEntry('S', 69, 'Device Details', device.firmware, nowMs)], DEVDETAILS: details, id: 1 };
}

/** What each firmware says about itself in `version`: what auto-detection reads. */
function versionEntry(device: MinerDevice, miner: VirtualMiner): Record<string, string> {
  const type = `${miner.model.make} ${miner.model.name}`;
  switch (device.firmware) {
    case 'antminer':
      return { BMMiner: '4.9.0', Miner: 'uart_trans.1.3', CompileTime: 'Thu Mar 7 11:22:01 CST 2024', Type: type };
    case 'whatsminer':
      return { CGMiner: '4.9.2', Miner: 'btminer 20240120.22.REL', 'Firmware Version': "'20240120.22.REL'", Type: type };
    case 'braiins':
      return { BOSminer: 'bosminer-plus-am2 0.8.0', Miner: DESCRIPTION.braiins, Type: type };
    case 'luxos':
      return { LUXminer: '2024.6.1', Miner: DESCRIPTION.luxos, Type: type };
    case 'avalon':
      return { CGMiner: '4.11.1', PROD: 'AvalonMiner 15-194', MODEL: '15-194', Type: type };
  }
}

/**
 * cgminer's plain-text form for requests that were not JSON:
 * `STATUS=S,When=…,Code=11,Msg=Summary,Description=…|SUMMARY,Elapsed=…,MHS av=…|`.
 */
export function toPlainText(reply: CgminerReply): string {
  const parts: string[] = [];
  for (const [section, value] of Object.entries(reply)) {
    if (!Array.isArray(value)) continue;
    for (const entry of value as Array<Record<string, unknown>>) {
      const fields = Object.entries(entry).map(([k, v]) => `${k}=${String(v)}`);
      // Entries that carry their own index (POOL=0, ASC=0, STATS=0) start with it;
      // single entries (SUMMARY) start with the bare section name, as cgminer writes them.
      parts.push(section in entry || section === 'STATUS' ? fields.join(',') : [section, ...fields].join(','));
    }
  }
  return parts.map((p) => `${p}|`).join('');
}
