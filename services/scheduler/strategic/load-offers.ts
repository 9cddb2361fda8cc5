import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ContextError, wrap } from '../../lib/errors.ts';
import { check } from '../../domain/schema.ts';
import { OffersFile } from './offers-schema.ts';

/**
 * Reads an offers file (YAML, or JSON, which YAML reads too), validates it once against the
 * schema (unknown keys rejected, defaults filled) and checks what a schema cannot say.
 */

export function loadOffersFile(path: string): OffersFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw wrap(`reading offers file ${path}`, err, 'E_OFFERS_FILE');
  }
  return parseOffers(text, path);
}

/** Validates offers text; `fileName` is used in messages only. Throws ContextError (E_OFFERS_FILE). */
export function parseOffers(text: string, fileName: string): OffersFile {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ContextError('E_OFFERS_FILE', `offers file ${fileName}: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  return checkOffers(doc.toJS() as unknown, `offers file ${fileName}`);
}

/** Schema and cross-field checks on an already-parsed value; fills defaults in place. */
export function checkOffers(value: unknown, what: string): OffersFile {
  let o: OffersFile;
  try {
    o = check(OffersFile, value, what);
  } catch (err) {
    throw new ContextError('E_OFFERS_FILE', err instanceof Error ? err.message : String(err), { cause: err });
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  o.offers.forEach((offer, i) => {
    if (seen.has(offer.id)) problems.push(`/offers/${i}/id duplicate offer id "${offer.id}"`);
    seen.add(offer.id);
    if (offer.minCriticalItMw > offer.maxCriticalItMw) {
      problems.push(`/offers/${i}/minCriticalItMw ${offer.minCriticalItMw} MW is above maxCriticalItMw ${offer.maxCriticalItMw} MW`);
    }
  });
  if (o.hashprice.halvingDate !== undefined && o.hashprice.anchor !== undefined) {
    problems.push('/hashprice give halvingDate or anchor, not both (each fixes when block 1,050,000 comes)');
  }
  if (Array.isArray(o.powerPriceUsdPerMwh) && o.powerPriceUsdPerMwh.length > o.horizonMonths) {
    problems.push(`/powerPriceUsdPerMwh has ${o.powerPriceUsdPerMwh.length} monthly values but the horizon is ${o.horizonMonths} months`);
  }
  if (problems.length > 0) throw new ContextError('E_OFFERS_FILE', `${what}: ${problems.join('; ')}`);
  return o;
}
