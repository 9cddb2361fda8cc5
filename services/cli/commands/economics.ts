import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { gpuCatalog } from '../../domain/catalog.ts';
import { loadSiteFile } from '../../domain/load-site.ts';
import { parseSpotCsv, planSpot, uncontractedGpus } from '../../inference/spot-gpu.ts';
import { blockEconomics } from '../../inference/block-economics.ts';
import { loadAccelerators } from '../../inference/catalog.ts';
import { numberOption } from '../args.ts';

/** `switchyard economics --block ID`: cost per million tokens per accelerator beside mining margin and lease rent per MW. */
interface EconomicsOptions {
  site: string;
  block: string;
  powerPrice?: number;
  hashprice?: number;
  utilization?: number;
  spotPrices?: string;
  spotOpex: number;
  json?: boolean;
}

const usd = (n: number | null, digits = 0) => (n === null ? 'n/a' : `$${n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`);

export function registerEconomics(program: Command): void {
  program
    .command('economics')
    .description('what a megawatt of a block earns serving tokens, mining and leased')
    .requiredOption('--site <FILE>', 'site file (YAML)')
    .requiredOption('--block <ID>', 'block id')
    .option('--power-price <USD_PER_MWH>', "power price (default: the site's PPA or price profile)", numberOption('--power-price'))
    .option('--hashprice <USD_PER_PH_DAY>', 'hashprice (default: the site dispatch setting)', numberOption('--hashprice'))
    .option('--utilization <SHARE>', 'share of accelerator time serving tokens, 0..1 (default 0.7)', numberOption('--utilization'))
    .option('--spot-prices <FILE>', 'spot GPU market prices, timestamp,price_usd_per_gpu_hour CSV: place uncontracted GPUs there')
    .option('--spot-opex <USD>', 'operating cost per GPU-hour for the spot decision (default 0.05)', numberOption('--spot-opex'), 0.05)
    .option('--json', 'print JSON')
    .action((o: EconomicsOptions) => {
      const site = loadSiteFile(o.site);
      const e = blockEconomics(site, o.block, loadAccelerators(), {
        ...(o.powerPrice !== undefined ? { powerPriceUsdPerMwh: o.powerPrice } : {}),
        ...(o.hashprice !== undefined ? { hashpriceUsdPerPhDay: o.hashprice } : {}),
        ...(o.utilization !== undefined ? { utilization: o.utilization } : {}),
      });
      const block = site.blocks.find((b) => b.id === o.block);
      const model = block?.gpus[0] === undefined ? undefined : gpuCatalog().get(block.gpus[0].model);
      const spot = o.spotPrices === undefined || model === undefined
        ? null
        : planSpot({ prices: parseSpotCsv(readFileSync(o.spotPrices, 'utf8'), o.spotPrices), gpus: uncontractedGpus(site, o.block), powerPerGpuW: model.systemPowerW / model.gpusPerSystem, overheadFactor: e.overheadFactor, powerPriceUsdPerMwh: e.powerPriceUsdPerMwh, opexUsdPerGpuHour: o.spotOpex });
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ ...e, spot: spot === null ? null : { ...spot, schedule: undefined } }, null, 2)}\n`);
        return;
      }
      const lines = [
        `Block ${e.blockId} (${e.blockName}): ${e.itMw.toFixed(2)} MW IT, power ${e.powerPriceUsdPerMwh.toFixed(2)} USD/MWh (${e.powerPriceFrom})`,
        `Assumptions: utilisation ${e.assumptions.utilization}, depreciation ${e.assumptions.depreciationYears} y, opex ${e.assumptions.opexPctOfCapexPerYear} % of capex/y`,
        '',
        'accelerator            systems  tokens/s      $/M tokens (dep + energy + opex)   benchmark',
      ];
      for (const t of e.tokens) {
        const cost = t.costUsdPerMillionTokens === null || t.split === null ? 'no system fits in the block'.padEnd(41) : `${t.costUsdPerMillionTokens.toFixed(4).padStart(8)} (${t.split.depreciation.toFixed(4)} + ${t.split.energy.toFixed(4)} + ${t.split.opex.toFixed(4)})`;
        lines.push(`${t.accelerator.padEnd(22)} ${String(t.systems).padStart(7)}  ${Math.round(t.tokensPerSecond).toLocaleString('en-US').padStart(12)}  ${cost}  ${t.model}${t.throughputKind === 'estimate' ? ' [estimate]' : ''}`);
      }
      lines.push('', `Mining margin: ${usd(e.miningMarginUsdPerMwMonth)} per MW-month (${e.miningNote})`, `Lease rent:    ${usd(e.leaseRentUsdPerMwMonth)} per MW-month (${e.leaseNote})`);
      if (o.spotPrices !== undefined) {
        lines.push(spot === null
          ? 'Spot GPU market: the block has no GPUs'
          : `Spot GPU market: ${uncontractedGpus(site, o.block)} uncontracted GPUs offered ${spot.offeredHours} of ${spot.hours} h (price ≥ ${spot.marginalCostUsdPerGpuHour.toFixed(4)} USD/GPU-h): revenue ${usd(spot.revenueUsd, 2)}, margin ${usd(spot.marginUsd, 2)}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
