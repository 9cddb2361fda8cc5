import { emptyHealth, type GpuHealth, parseIndex, parseText, parseYesNo } from './sample.ts';
import { child, type XmlElement } from './xml.ts';

/**
 * ECC counts, retired pages and remapped rows from both nvidia-smi formats. Pure.
 * Counts nvidia-smi does not report (consumer GPUs, ECC disabled: N/A) stay absent, never 0.
 */

/** --query-gpu column names, in the order CSV_HEALTH_FIELDS asks for them. */
export const CSV_HEALTH_FIELDS = [
  'ecc.mode.current',
  'ecc.errors.corrected.volatile.total',
  'ecc.errors.uncorrected.volatile.total',
  'ecc.errors.corrected.aggregate.total',
  'ecc.errors.uncorrected.aggregate.total',
  'retired_pages.single_bit_ecc.count',
  'retired_pages.double_bit.count',
  'retired_pages.pending',
  'remapped_rows.correctable',
  'remapped_rows.uncorrectable',
  'remapped_rows.pending',
  'remapped_rows.failure',
] as const;

/** From one CSV row, given a lookup of raw text by column name. */
export function healthFromCsv(raw: (name: string) => string | undefined, where: string): GpuHealth {
  const h = emptyHealth();
  const count = (name: string) => parseIndex(raw(name), `${where}, ${name}`);
  h.eccMode = parseText(raw('ecc.mode.current'));
  h.eccCorrectedVolatile = count('ecc.errors.corrected.volatile.total');
  h.eccUncorrectedVolatile = count('ecc.errors.uncorrected.volatile.total');
  h.eccCorrectedAggregate = count('ecc.errors.corrected.aggregate.total');
  h.eccUncorrectedAggregate = count('ecc.errors.uncorrected.aggregate.total');
  h.retiredPagesSbe = count('retired_pages.single_bit_ecc.count');
  h.retiredPagesDbe = count('retired_pages.double_bit.count');
  h.retiredPagesPending = parseYesNo(raw('retired_pages.pending'), `${where}, retired_pages.pending`);
  h.remappedRowsCorrectable = count('remapped_rows.correctable');
  h.remappedRowsUncorrectable = count('remapped_rows.uncorrectable');
  h.remappedRowsPending = parseYesNo(raw('remapped_rows.pending'), `${where}, remapped_rows.pending`);
  h.remappedRowsFailure = parseYesNo(raw('remapped_rows.failure'), `${where}, remapped_rows.failure`);
  return h;
}

/**
 * ECC counts in `-q -x` come in three layouts, all seen in the recordings:
 * - schema v11/v12 on older parts: <volatile><single_bit>…<total/></single_bit><double_bit>…;
 * - Ampere+: <volatile><sram_correctable/><sram_uncorrectable/><dram_correctable/><dram_uncorrectable/>;
 * - newer v13: sram_uncorrectable split into _parity and _secded.
 * Corrected = single-bit total, or the sum of *_correctable; uncorrected = double-bit total,
 * or the sum of *_uncorrectable*. All parts absent gives absent.
 */
function eccCounts(section: XmlElement | undefined, where: string): { corrected: number | undefined; uncorrected: number | undefined } {
  if (section === undefined) return { corrected: undefined, uncorrected: undefined };
  const single = child(section, 'single_bit');
  const double = child(section, 'double_bit');
  if (single !== undefined || double !== undefined) {
    return {
      corrected: parseIndex(child(single, 'total')?.text, `${where} single_bit/total`),
      uncorrected: parseIndex(child(double, 'total')?.text, `${where} double_bit/total`),
    };
  }
  const sum = (test: (name: string) => boolean) => {
    let total: number | undefined;
    for (const c of section.children) {
      if (!test(c.name)) continue;
      const n = parseIndex(c.text, `${where} ${c.name}`);
      if (n !== undefined) total = (total ?? 0) + n;
    }
    return total;
  };
  return {
    corrected: sum((n) => n.endsWith('_correctable')),
    uncorrected: sum((n) => /_uncorrectable(_parity|_secded)?$/.test(n)),
  };
}

export function healthFromXml(gpu: XmlElement, where: string): GpuHealth {
  const h = emptyHealth();
  h.eccMode = parseText(child(child(gpu, 'ecc_mode'), 'current_ecc')?.text);
  const ecc = child(gpu, 'ecc_errors');
  const vol = eccCounts(child(ecc, 'volatile'), `${where} ecc_errors/volatile`);
  const agg = eccCounts(child(ecc, 'aggregate'), `${where} ecc_errors/aggregate`);
  h.eccCorrectedVolatile = vol.corrected;
  h.eccUncorrectedVolatile = vol.uncorrected;
  h.eccCorrectedAggregate = agg.corrected;
  h.eccUncorrectedAggregate = agg.uncorrected;
  const retired = child(gpu, 'retired_pages');
  h.retiredPagesSbe = parseIndex(child(child(retired, 'multiple_single_bit_retirement'), 'retired_count')?.text, `${where} retired_pages sbe`);
  h.retiredPagesDbe = parseIndex(child(child(retired, 'double_bit_retirement'), 'retired_count')?.text, `${where} retired_pages dbe`);
  h.retiredPagesPending = parseYesNo(child(retired, 'pending_retirement')?.text, `${where} retired_pages/pending_retirement`);
  const rows = child(gpu, 'remapped_rows');
  h.remappedRowsCorrectable = parseIndex(child(rows, 'remapped_row_corr')?.text, `${where} remapped_row_corr`);
  h.remappedRowsUncorrectable = parseIndex(child(rows, 'remapped_row_unc')?.text, `${where} remapped_row_unc`);
  h.remappedRowsPending = parseYesNo(child(rows, 'remapped_row_pending')?.text, `${where} remapped_row_pending`);
  h.remappedRowsFailure = parseYesNo(child(rows, 'remapped_row_failure')?.text, `${where} remapped_row_failure`);
  return h;
}
