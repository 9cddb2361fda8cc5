import type { Command } from 'commander';
import { loadSiteFile } from '../../domain/load-site.ts';
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
    .option('--json', 'print JSON')
    .action((o: EconomicsOptions) => {
      const site = loadSiteFile(o.site);
      const e = blockEconomics(site, o.block, loadAccelerators(), {
        ...(o.powerPrice !== undefined ? { powerPriceUsdPerMwh: o.powerPrice } : {}),
        ...(o.hashprice !== undefined ? { hashpriceUsdPerPhDay: o.hashprice } : {}),
        ...(o.utilization !== undefined ? { utilization: o.utilization } : {}),
      });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(e, null, 2)}\n`);
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
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
