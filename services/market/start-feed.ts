import { dirname, resolve } from 'node:path';
import type { LivePricesSettings, SiteFile } from '../domain/site-schema.ts';
import { ContextError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { ErcotApiFeed } from './ercot-api-feed.ts';
import { ErcotApiClient, ercotApiOptionsFromEnv } from './ercot-api.ts';
import { FileFeed } from './file-feed.ts';
import type { LivePriceFeed } from './live-feed.ts';

/**
 * The live price feed a site file's `livePrices` section asks for, built and checked but not
 * started (nothing is read or fetched here: a bad section fails the start, not the first
 * poll). Null when the site has no `livePrices`.
 */

export interface FeedBuildOptions {
  site: SiteFile;
  sitePath: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  now?: () => number;
}

export class LivePricesConfigError extends ContextError {
  constructor(message: string) {
    super('E_SITE', `livePrices: ${message}`);
    this.name = 'LivePricesConfigError';
  }
}

export function buildLiveFeed(o: FeedBuildOptions): LivePriceFeed | null {
  const lp = o.site.livePrices;
  if (!lp) return null;
  const settlementPoint = lp.settlementPoint ?? o.site.site.market.settlementPoint;
  const staleAfterMs = Math.round(lp.staleAfterMinutes * 60_000);
  const log = o.log.child({ part: 'live-prices', source: lp.source });
  const clock = o.now ? { now: o.now } : {};
  if (lp.source === 'file') {
    refuse(lp, ['report', 'settlementPointType'], 'file');
    if (!lp.file) throw new LivePricesConfigError('source "file" needs "file": the timestamp,price_usd_per_mwh CSV to follow');
    if (lp.intervalMinutes === undefined) throw new LivePricesConfigError('source "file" needs "intervalMinutes": how long each row\'s price holds');
    return new FileFeed({
      path: resolve(dirname(o.sitePath), lp.file),
      settlementPoint,
      intervalMinutes: lp.intervalMinutes,
      staleAfterMs,
      pollMs: Math.round((lp.pollSeconds ?? 1) * 1000),
      log,
      ...clock,
    });
  }
  refuse(lp, ['file', 'intervalMinutes'], 'ercot-api');
  if (!lp.report) throw new LivePricesConfigError('source "ercot-api" needs "report": "rtm" (NP6-905-CD real-time) or "dam" (NP4-190-CD day-ahead)');
  if (o.site.site.market.iso.toUpperCase() !== 'ERCOT') throw new LivePricesConfigError(`source "ercot-api" is for ERCOT sites; this site's market is ${o.site.site.market.iso}`);
  const client = new ErcotApiClient({ ...ercotApiOptionsFromEnv(o.env), timeoutMs: Math.round(lp.requestTimeoutSeconds * 1000), ...clock });
  return new ErcotApiFeed({
    client,
    report: lp.report,
    settlementPoint,
    ...(lp.settlementPointType ? { settlementPointType: lp.settlementPointType } : {}),
    staleAfterMs,
    pollMs: Math.round((lp.pollSeconds ?? 60) * 1000),
    log,
    ...clock,
  });
}

function refuse(lp: LivePricesSettings, keys: Array<keyof LivePricesSettings>, source: string): void {
  const given = keys.filter((k) => lp[k] !== undefined);
  if (given.length) throw new LivePricesConfigError(`${given.map((k) => `"${k}"`).join(', ')} ${given.length > 1 ? 'do' : 'does'} not apply to source "${source}"`);
}
