import { open, stat } from 'node:fs/promises';
import { parseDecimal } from './csv.ts';
import { MarketFileError } from './file-error.ts';
import { FeedState } from './live-feed.ts';
import { PolledFeed } from './polled-feed.ts';
import { parseIsoWithOffset, PRICE_CSV_COLUMNS } from './price-csv.ts';
import type { PriceInterval } from './price-series.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';

/**
 * A live feed from a `timestamp,price_usd_per_mwh` file that another program appends to (the
 * price-csv.ts format, one row per interval start). The file is tailed by polling with
 * non-blocking reads from the last offset: only whole lines are parsed, so a row caught half
 * written waits for its newline; a bad row is reported with its line number and skipped, and
 * the rows after it are still read. A file that shrinks was replaced: it is read again from
 * its first line.
 */

export interface FileFeedOptions {
  path: string;
  settlementPoint: string;
  intervalMinutes: number;
  staleAfterMs: number;
  /** How often the file is checked, ms (default 1000). */
  pollMs?: number;
  log: Logger;
  /** Called with each bad row (besides the log line), e.g. for a test or an alert. */
  onRowError?: (err: MarketFileError) => void;
  now?: () => number;
}

const NEWLINE = 0x0a;

export class FileFeed extends PolledFeed {
  private offset = 0;
  private line = 0;
  private headerSeen = false;
  private pending: Buffer = Buffer.alloc(0);
  private lastStartMs: number | undefined;
  private readFailing = false;

  constructor(private readonly o: FileFeedOptions) {
    if (!(Number.isSafeInteger(o.intervalMinutes) && o.intervalMinutes > 0)) throw new RangeError(`file price feed ${o.path}: intervalMinutes must be a whole number > 0, got ${o.intervalMinutes}`);
    super(new FeedState({ source: `file ${o.path}`, settlementPoint: o.settlementPoint, staleAfterMs: o.staleAfterMs, ...(o.now ? { now: o.now } : {}) }), o.pollMs ?? 1000);
  }

  /** Reads what was appended since the last poll. */
  protected async fetchNew(): Promise<number> {
    let chunk: Buffer;
    try {
      chunk = await this.readAppended();
    } catch (err) {
      const message = `reading price file ${this.o.path}: ${errorMessage(err)}`;
      if (!this.readFailing) this.o.log.warn({ path: this.o.path, err: errorMessage(err) }, 'price file cannot be read; the feed goes stale if it stays so');
      this.readFailing = true;
      this.state.setError(message);
      return 0;
    }
    if (this.readFailing) this.o.log.info({ path: this.o.path }, 'price file readable again');
    this.readFailing = false;
    this.state.setError(null);
    if (chunk.length === 0) return 0;
    const text = Buffer.concat([this.pending, chunk]);
    const cut = text.lastIndexOf(NEWLINE);
    // Everything after the last newline is a row still being written: kept for the next poll.
    this.pending = cut < 0 ? text : text.subarray(cut + 1);
    if (cut < 0) return 0;
    const intervals: PriceInterval[] = [];
    for (const raw of text.subarray(0, cut).toString('utf8').split('\n')) {
      this.line++;
      const iv = this.parseLine(raw.replace(/\r$/, ''));
      if (iv) intervals.push(iv);
    }
    return this.state.publish(intervals);
  }

  private async readAppended(): Promise<Buffer> {
    const { size } = await stat(this.o.path);
    if (size < this.offset) {
      this.o.log.warn({ path: this.o.path, size, offset: this.offset }, 'price file shrank: replaced, reading it again from the start');
      this.offset = 0;
      this.line = 0;
      this.headerSeen = false;
      this.pending = Buffer.alloc(0);
    }
    if (size === this.offset) return Buffer.alloc(0);
    const fh = await open(this.o.path, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
      this.offset += bytesRead;
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  private parseLine(text: string): PriceInterval | undefined {
    const line = this.line === 1 ? text.replace(/^\uFEFF/, '') : text;
    if (line.trim() === '') return undefined;
    try {
      if (!this.headerSeen) {
        const header = line.split(',').map((h) => h.trim().toLowerCase());
        if (header.join(',') !== PRICE_CSV_COLUMNS.join(',')) throw this.bad(`header is "${line.trim()}", expected ${PRICE_CSV_COLUMNS.join(',')}`);
        this.headerSeen = true;
        return undefined;
      }
      const cells = line.split(',');
      if (cells.length !== 2) throw this.bad(`expected 2 columns (${PRICE_CSV_COLUMNS.join(',')}), found ${cells.length}: "${line.trim()}"`);
      const tText = (cells[0] as string).trim();
      const startMs = parseIsoWithOffset(tText);
      if (startMs === undefined) throw this.bad(`column timestamp is "${tText}", expected ISO-8601 with offset, e.g. 2021-02-15T00:00:00-06:00 or …Z`);
      const pText = (cells[1] as string).trim();
      const price = parseDecimal(pText);
      if (price === undefined) throw this.bad(`column price_usd_per_mwh is "${pText}", expected a number`);
      if (this.lastStartMs !== undefined && startMs <= this.lastStartMs) {
        throw this.bad(`interval ${new Date(startMs).toISOString()} is not after the previous row's ${new Date(this.lastStartMs).toISOString()}`);
      }
      this.lastStartMs = startMs;
      return { startMs, minutes: this.o.intervalMinutes, priceUsdPerMwh: price };
    } catch (err) {
      if (!(err instanceof MarketFileError)) throw err;
      this.o.log.error({ path: this.o.path, row: err.row }, err.message);
      this.o.onRowError?.(err);
      return undefined;
    }
  }

  private bad(detail: string): MarketFileError {
    return new MarketFileError(this.o.path, this.line, detail);
  }
}
