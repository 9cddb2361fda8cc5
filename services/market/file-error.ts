import { ContextError } from '../lib/errors.ts';

/**
 * A market file that cannot be read as data. Carries the file (`source`) and the 1-based line
 * (`row`, the header is row 1) so a user can open the file at the fault; the message repeats both
 * ("dam.csv row 14: …") because messages are what reaches a terminal or a log.
 * For JSON inputs `row` is the 1-based position of the data point in its array.
 */
export class MarketFileError extends ContextError {
  readonly source: string;
  readonly row: number;
  constructor(source: string, row: number, detail: string, options?: { cause?: unknown }) {
    super('E_MARKET_FILE', `${source} row ${row}: ${detail}`, options);
    this.name = 'MarketFileError';
    this.source = source;
    this.row = row;
  }
}
