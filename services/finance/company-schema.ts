import { Type, type Static } from '@sinclair/typebox';
import { DebtInstrument } from '../domain/site-schema.ts';
import { Strict } from '../lib/strict.ts';
import { HashpriceOutlook } from './hashprice-outlook.ts';

/**
 * The company file (YAML): the company owns the debt book and the corporate costs; its sites
 * are site files, listed by path relative to the company file. Unknown keys are rejected.
 * The forward model (finance/forward.ts) starts from `outlook`; every number is a stated
 * assumption the reports print.
 */

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });
const Month = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$' });

export const CorporateCosts = Strict({
  /** General and administrative costs, USD per month (salaries, listing, audit, insurance). */
  gAndAUsdPerMonth: Type.Number({ minimum: 0, default: 0 }),
  /** Operating costs of an AI lease besides power, as a share of its rent. */
  aiOpexPctOfRent: Type.Number({ minimum: 0, maximum: 100, default: 10 }),
  /** Mining operating costs besides power (staff, repairs), USD per MW of miner gross power per month. */
  miningOpexUsdPerMwMonth: Type.Number({ minimum: 0, default: 0 }),
}, { default: {} });
export type CorporateCosts = Static<typeof CorporateCosts>;

export const Treasury = Strict({
  /** Unrestricted cash today, USD (the liquidity covenant's measure, and the leverage netting). */
  cashUsd: Type.Number({ minimum: 0, default: 0 }),
  /** BTC the company holds, pledged included. */
  btcHeld: Type.Number({ minimum: 0, default: 0 }),
  /** Share price today, USD (for convertibles: in or out of the money). */
  sharePriceUsd: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
}, { default: {} });
export type Treasury = Static<typeof Treasury>;

export const Outlook = Strict({
  /** First month of the forward model, YYYY-MM (default: the current month). */
  startMonth: Type.Optional(Month),
  horizonMonths: Type.Integer({ minimum: 1, maximum: 240, default: 36 }),
  /** BTC price today, USD; hashprice moves in proportion to it (fees held in BTC). */
  btcPriceUsd: Type.Number({ exclusiveMinimum: 0 }),
  hashprice: HashpriceOutlook,
  /** All-in power price the sites pay, USD/MWh (flat). */
  powerPriceUsdPerMwh: Type.Number({ minimum: 0 }),
  miningUptime: Type.Number({ minimum: 0, maximum: 1, default: 0.97 }),
  /** Rate a rolled bullet pays where the instrument states none (a stated assumption), %/yr. */
  refinanceCouponPct: Type.Number({ minimum: 0, maximum: 50 }),
  /** Months in each DSCR and leverage window (forward from the test month); covenants are usually written on twelve. */
  dscrWindowMonths: Type.Integer({ minimum: 1, maximum: 24, default: 12 }),
});
export type Outlook = Static<typeof Outlook>;

export const CompanyFile = Strict({
  company: Strict({ id: Id, name: Type.String({ minLength: 1 }) }),
  /** Site files, relative to the company file. */
  sites: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  debt: Type.Array(DebtInstrument, { default: [] }),
  corporateCosts: CorporateCosts,
  treasury: Treasury,
  outlook: Outlook,
});
export type CompanyFile = Static<typeof CompanyFile>;
