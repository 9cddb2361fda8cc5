import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadSiteFile, parseYamlFile, readYamlText } from '../domain/load-site.ts';
import type { Finding } from '../domain/site-checks.ts';
import type { DebtInstrument, SiteFile } from '../domain/site-schema.ts';
import type { Catalogs } from '../domain/site.ts';
import { CompanyFile } from './company-schema.ts';

/**
 * Reads a company file: validated like a site file (YAML syntax, schema, cross-checks; every
 * problem names file, line and key; SiteFileError), then each site file it lists, relative to
 * it. Reads only: nothing is written. The debt book is the company's; an instrument still in
 * a site file's `debt:` is added to it (ids must not repeat).
 */

export interface CompanySite {
  /** Resolved path of the site file. */
  path: string;
  site: SiteFile;
}

export interface Company {
  path: string;
  file: CompanyFile;
  sites: CompanySite[];
  /** The company's instruments, then any still listed in site files. */
  debt: DebtInstrument[];
}

const WHAT = 'company file';

export function loadCompanyFile(path: string, catalogs?: Catalogs): Company {
  const base = dirname(path);
  const file = parseCompany(readYamlText(path, WHAT), path, base);
  const sites = file.sites.map((p) => {
    const full = resolve(base, p);
    return { path: full, site: loadSiteFile(full, catalogs) };
  });
  return companyOf(path, file, sites);
}

/**
 * Validates company YAML text; `fileName` is used in messages only. With `baseDir`, each listed
 * site file must exist there (a missing one is named at its line in the company file).
 * Throws SiteFileError.
 */
export function parseCompany(text: string, fileName: string, baseDir?: string): CompanyFile {
  return parseYamlFile(text, fileName, CompanyFile, (c) => [...crossCheckCompany(c), ...(baseDir === undefined ? [] : siteFilesExist(c, baseDir))], WHAT).value;
}

function siteFilesExist(c: CompanyFile, baseDir: string): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  c.sites.forEach((p, i) => {
    const full = resolve(baseDir, p);
    if (seen.has(full)) out.push({ path: ['sites', i], message: `site file ${p} is listed twice`, severity: 'error' });
    seen.add(full);
    if (!statSync(full, { throwIfNoEntry: false })?.isFile()) out.push({ path: ['sites', i], message: `no site file at ${full}`, severity: 'error' });
  });
  return out;
}

/** A company of one site file (the demo without a company file): its debt, no corporate costs. */
export function companyOf(path: string, file: CompanyFile, sites: CompanySite[]): Company {
  const debt = [...file.debt];
  const seen = new Set(debt.map((d) => d.id));
  for (const s of sites) {
    for (const d of s.site.debt) {
      if (seen.has(d.id)) throw new RangeError(`${path}: debt instrument ${d.id} is in the company file and in site file ${s.path}; list it once`);
      seen.add(d.id);
      debt.push(d);
    }
  }
  return { path, file, sites, debt };
}

/** What the schema cannot say: unique ids, dates in order, the fields each kind needs. */
export function crossCheckCompany(c: CompanyFile): Finding[] {
  const out: Finding[] = [];
  const err = (path: (string | number)[], message: string) => out.push({ path, message, severity: 'error' });
  const ids = new Set<string>();
  c.debt.forEach((d, i) => {
    if (ids.has(d.id)) err(['debt', i, 'id'], `duplicate debt id "${d.id}"`);
    ids.add(d.id);
    if (d.maturityDate <= d.issueDate) err(['debt', i, 'maturityDate'], `maturity ${d.maturityDate} must be after issue ${d.issueDate}`);
    if (d.kind === 'btc-backed-loan') {
      if (d.btcPledged === undefined) err(['debt', i], 'a btc-backed-loan needs btcPledged');
      if (d.marginCallLtvPct === undefined) err(['debt', i], 'a btc-backed-loan needs marginCallLtvPct');
    }
    if (d.kind === 'convertible-note' && d.conversionPriceUsd === undefined) err(['debt', i], 'a convertible-note needs conversionPriceUsd');
    d.covenants.forEach((k, j) => {
      if (k.kind === 'max-ltv' && d.kind !== 'btc-backed-loan') err(['debt', i, 'covenants', j, 'kind'], 'max-ltv applies to a btc-backed-loan only');
      if (k.kind === 'min-dscr' && k.threshold <= 0) err(['debt', i, 'covenants', j, 'threshold'], 'a min-dscr threshold must be > 0');
    });
  });
  const pledged = c.debt.reduce((s, d) => s + (d.btcPledged ?? 0), 0);
  if (pledged > c.treasury.btcHeld) err(['treasury', 'btcHeld'], `BTC pledged to loans (${pledged}) is more than btcHeld (${c.treasury.btcHeld})`);
  return out;
}
