import { check } from '../../domain/schema.ts';
import { CurtailmentSettings, type SiteFile } from '../../domain/site-schema.ts';
import { ContextError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import type { LiveState } from '../../telemetry/live-state.ts';
import type { CurtailmentPort } from '../signal.ts';
import type { LivePriceFeed } from '../../market/live-feed.ts';
import { FourCpScheduler } from './four-cp.ts';
import { followLivePrices, type LivePriceStrike } from './live-price-strike.ts';
import { OpenAdrVen } from './openadr/client.ts';
import { checkOpenAdrVenConfig } from './openadr/config.ts';
import { UnderFrequencySource } from './under-frequency-source.ts';

/**
 * Starts the event sources a site file asks for: 4CP windows (dispatch.fourCpWindows), the
 * control plane's under-frequency trigger on the revenue meter, and an OpenADR 3 VEN. The
 * operator API and the grid dispatch webhook are routes. Price strikes (curtailment.priceStrike)
 * follow the site's live price feed (livePrices), which the caller builds and starts.
 */
export interface RunningSources {
  names: string[];
  priceStrike: LivePriceStrike | null;
  stop(): Promise<void>;
}

export function curtailmentSettings(site: SiteFile): CurtailmentSettings {
  return site.curtailment ?? check(CurtailmentSettings, {}, 'curtailment defaults');
}

export function startSources(site: SiteFile, port: CurtailmentPort, live: LiveState, env: NodeJS.ProcessEnv, log: Logger, feed: LivePriceFeed | null = null): RunningSources {
  const settings = curtailmentSettings(site);
  const stops: Array<() => Promise<void> | void> = [];
  const names: string[] = [];

  let priceStrike: LivePriceStrike | null = null;
  if (settings.priceStrike) {
    if (!feed) throw new ContextError('E_SITE', 'curtailment.priceStrike needs a live price feed: add a livePrices section to the site file');
    priceStrike = followLivePrices(feed, settings.priceStrike, port, log.child({ source: 'price-strike' }));
    stops.push(() => priceStrike?.stop());
    names.push('price-strike');
  }

  const windows = site.dispatch?.fourCpWindows ?? [];
  if (windows.length) {
    const capMw = site.dispatch?.fourCpCapMw;
    if (capMw === undefined) throw new ContextError('E_SITE', 'dispatch.fourCpWindows needs dispatch.fourCpCapMw: the site load to hold during a 4CP window');
    const fourCp = new FourCpScheduler({ windows, capMw, allowAi: false, retryMs: 5000 }, port, { log: log.child({ source: '4cp' }) });
    fourCp.start();
    stops.push(() => fourCp.stop());
    names.push('4cp');
  }

  const uf = settings.underFrequency;
  const revenue = site.meters.find((m) => m.role === 'revenue')?.id;
  if (uf && revenue) {
    const source = new UnderFrequencySource({ shedMw: uf.shedMw, maxDurationMs: uf.maxDurationMinutes * 60_000, allowAi: uf.allowAi, trigger: { tripHz: uf.tripHz } }, port, { log: log.child({ source: 'under-frequency' }) });
    let lastAtMs = 0;
    const onChange = () => {
      const r = live.reading(revenue);
      if (!r || r.atMs <= lastAtMs) return;
      lastAtMs = r.atMs;
      const hz = r.status === 'online' ? r.metrics.frequency_hz : undefined;
      source.onReading({ atMs: r.atMs, hz: hz ?? null }).catch((err: unknown) => log.error({ err }, 'under-frequency source failed'));
    };
    live.on('change', onChange);
    stops.push(() => void live.off('change', onChange));
    names.push('under-frequency');
  }

  const oa = settings.openadr;
  if (oa) {
    const secret = env.SWITCHYARD_OPENADR_CLIENT_SECRET;
    if (!secret) throw new ContextError('E_SITE', 'curtailment.openadr is set but SWITCHYARD_OPENADR_CLIENT_SECRET is not: the VEN cannot log on to the VTN');
    const ven = new OpenAdrVen(
      checkOpenAdrVenConfig({
        vtnUrl: oa.vtnUrl,
        clientId: oa.clientId,
        clientSecret: secret,
        venName: oa.venName,
        ...(oa.programNames ? { programNames: oa.programNames } : {}),
        pollIntervalMs: Math.round(oa.pollIntervalSeconds * 1000),
        requestTimeoutMs: 10_000,
        siteId: site.site.id,
        allowAi: oa.allowAi,
      }),
      port,
      { log: log.child({ source: 'openadr' }) },
    );
    ven.start();
    stops.push(() => ven.stop());
    names.push('openadr');
  }
  return {
    names,
    priceStrike,
    stop: async () => {
      for (const s of stops.reverse()) await s();
    },
  };
}
