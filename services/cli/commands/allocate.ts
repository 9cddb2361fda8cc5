import type { Command } from 'commander';
import { loadSiteFile } from '../../domain/load-site.ts';
import { allocate } from '../../scheduler/strategic/allocate.ts';
import { formatAllocation } from '../../scheduler/strategic/format.ts';
import { loadOffersFile } from '../../scheduler/strategic/load-offers.ts';

interface AllocateOptions {
  site: string;
  offers: string;
  json?: boolean;
  monthly?: boolean;
}

/**
 * `switchyard allocate`: which mining blocks to convert for which AI offer, with NPV, IRR and
 * payback per decision and the month-by-month debt cover. A coverage shortfall is a result
 * (reported), not an error; bad files are errors naming the file and the key.
 */
export function registerAllocate(program: Command): void {
  program
    .command('allocate')
    .description('strategic allocation: which blocks to convert from mining to AI offers, month by month over years')
    .requiredOption('--site <FILE>', 'site YAML (blocks, contracts, debt)')
    .requiredOption('--offers <FILE>', 'offers YAML or JSON (offers, hashprice outlook, power price, discount rate, horizon)')
    .option('--json', 'print one JSON object (AllocationResult)')
    .option('--monthly', 'text output: every month instead of a year-by-year summary')
    .action(async (opts: AllocateOptions) => {
      const site = loadSiteFile(opts.site);
      const offers = loadOffersFile(opts.offers);
      const result = await allocate(site, offers);
      process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : formatAllocation(result, { monthly: opts.monthly === true }));
    });
}
