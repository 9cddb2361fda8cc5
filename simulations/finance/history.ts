import { readFile } from 'node:fs/promises';
import { ContextError } from '../../services/lib/errors.ts';
import { parseBlockchainChart } from '../../services/market/blockchain-com.ts';

/**
 * Daily log returns of the BTC price from blockchain.com market-price exports, for the block
 * bootstrap. The all-time export samples every 3 days, so a return over a gap of g whole days
 * (±2 h: the exports' DST stamps) is spread evenly over g days — each g-day move keeps its
 * size, only its path inside the gap is smoothed. Gaps over a week, and zero prices (2009),
 * are left out.
 */
const DAY_MS = 86_400_000;

export interface BtcHistory {
  returns: Float64Array;
  /** The last sample's price, USD (of the last file). */
  lastPriceUsd: number;
}

export async function loadBtcHistory(paths: readonly string[]): Promise<BtcHistory> {
  const out: number[] = [];
  let lastPriceUsd = NaN;
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new ContextError('E_SCENARIO_HISTORY', `reading BTC history ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
    const series = parseBlockchainChart(text, { source: path, metric: 'market-price' });
    if (series.metric !== 'market-price') throw new ContextError('E_SCENARIO_HISTORY', `${path}: a bootstrap needs a market-price export, got ${series.metric}`);
    const pts = series.points;
    const last = pts[pts.length - 1];
    if (last && last.value > 0) lastPriceUsd = last.value;
    for (let i = 1; i < pts.length; i++) {
      const a = pts[i - 1]!;
      const b = pts[i]!;
      const days = Math.round((b.timeMs - a.timeMs) / DAY_MS);
      if (days < 1 || days > 7 || Math.abs(b.timeMs - a.timeMs - days * DAY_MS) > 2 * 3_600_000 || !(a.value > 0 && b.value > 0)) continue;
      const perDay = Math.log(b.value / a.value) / days;
      for (let k = 0; k < days; k++) out.push(perDay);
    }
  }
  if (out.length < 30) throw new ContextError('E_SCENARIO_HISTORY', `BTC history ${paths.join(', ')} has ${out.length} daily returns; a bootstrap needs at least 30`);
  return { returns: Float64Array.from(out), lastPriceUsd };
}
