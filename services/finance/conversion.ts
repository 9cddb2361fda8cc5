import type { SiteFile } from '../domain/site-schema.ts';
import { monthIndexOfDate } from './months.ts';

/**
 * Capex of blocks already converting, by month. Pure. The site file gives a block's total
 * conversion capex and its ready date, not what is already spent, so the stated assumption is:
 * all of it is still to pay, evenly over the months from `startMonth` to the ready month
 * (inclusive). A ready date before `startMonth` means the work is done and paid: nothing here.
 */
export interface CommittedConversion {
  blockId: string;
  capexUsd: number;
  readyDate: string;
  /** Month index of the ready date relative to startMonth (may be past the horizon). */
  readyMonth: number;
}

export function committedConversions(site: SiteFile, startMonth: string): CommittedConversion[] {
  return site.blocks
    .filter((b) => b.state === 'converting' && b.conversion)
    .map((b) => ({ blockId: b.id, capexUsd: b.conversion!.capexUsd, readyDate: b.conversion!.readyDate, readyMonth: monthIndexOfDate(startMonth, b.conversion!.readyDate) }));
}

export function committedConversionCapexUsd(site: SiteFile, startMonth: string, months: number): number[] {
  const out = new Array<number>(months).fill(0);
  for (const c of committedConversions(site, startMonth)) {
    if (c.readyMonth < 0) continue;
    const per = c.capexUsd / (c.readyMonth + 1);
    for (let m = 0; m <= c.readyMonth && m < months; m++) out[m]! += per;
  }
  return out;
}
