import type { Command } from 'commander';
import { loadSiteFile } from '../../domain/load-site.ts';
import type { SiteFile } from '../../domain/site-schema.ts';
import { loadCompanyFile, type Company } from '../../finance/load-company.ts';
import { ContextError } from '../../lib/errors.ts';
import { allocate } from '../../scheduler/strategic/allocate.ts';
import { formatAllocation } from '../../scheduler/strategic/format.ts';
import { loadOffersFile } from '../../scheduler/strategic/load-offers.ts';

interface AllocateOptions {
  site?: string;
  company?: string;
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
    .option('--site <FILE>', 'site YAML (blocks, contracts, debt)')
    .option('--company <FILE>', "company YAML: its one site file, with the company's debt book (and its covenants)")
    .requiredOption('--offers <FILE>', 'offers YAML or JSON (offers, hashprice outlook, power price, discount rate, horizon)')
    .option('--json', 'print one JSON object (AllocationResult)')
    .option('--monthly', 'text output: every month instead of a year-by-year summary')
    .action(async (opts: AllocateOptions) => {
      if ((opts.site === undefined) === (opts.company === undefined)) throw new ContextError('E_ARGS', 'give --site FILE or --company FILE (one of them)');
      const site = opts.site !== undefined ? loadSiteFile(opts.site) : companySite(loadCompanyFile(opts.company!));
      const offers = loadOffersFile(opts.offers);
      const result = await allocate(site, offers);
      process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : formatAllocation(result, { monthly: opts.monthly === true }));
    });
}

/** The strategic model plans one site: the company's site, carrying the company's debt book. */
function companySite(c: Company): SiteFile {
  if (c.sites.length !== 1) throw new ContextError('E_ARGS', `allocate plans one site; company file ${c.path} lists ${c.sites.length}`);
  return { ...c.sites[0]!.site, debt: c.debt };
}
