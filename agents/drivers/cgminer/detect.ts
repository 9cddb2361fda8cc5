import type { CgminerReply } from './parse.ts';
import { entries, splitMulti, statusOf } from './reply.ts';
import type { MinerMake } from './miner.ts';

/**
 * Which firmware answers, from its `version` (and `devdetails`) reply. Pure. Order matters:
 * LuxOS and Braiins OS run on Antminer hardware and say "Antminer" in their Type, so the
 * firmware names are checked before the hardware names.
 */
const RULES: Array<[RegExp, MinerMake]> = [
  [/LUXminer/i, 'luxos'],
  // Braiins OS before BOSminer (S9, 2019) ran bmminer and says "bmminer bOS_am1-s9-…".
  [/BOSminer|Braiins|\bbOS_|Driver=bosminer/i, 'braiins'],
  [/btminer|Whatsminer|MicroBT/i, 'whatsminer'],
  [/Avalon|Canaan|\bPROD\b/i, 'avalon'],
  [/BMMiner|Antminer|Bitmain/i, 'antminer'],
];

export function detectMake(...replies: CgminerReply[]): MinerMake | undefined {
  const texts: string[] = [];
  for (const reply of replies) {
    for (const part of splitMulti(reply)?.values() ?? [reply]) {
      texts.push(statusOf(part)?.description ?? '');
      for (const section of ['VERSION', 'DEVDETAILS']) {
        for (const e of entries(part, section)) texts.push(Object.entries(e).map(([k, v]) => `${k}=${String(v)}`).join(' '));
      }
    }
  }
  const text = texts.join('\n');
  for (const [re, make] of RULES) if (re.test(text)) return make;
  return undefined;
}
