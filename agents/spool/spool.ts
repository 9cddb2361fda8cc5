import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentBatch } from '../../services/agent-contract/batch-schema.ts';
import { wrap } from '../../services/lib/errors.ts';
import type { Logger } from '../../services/lib/log.ts';

/**
 * The agent's store-and-forward queue on disk: batches the control plane could not take yet,
 * as JSON lines in append-only segment files (`seg-<first seq>.jsonl`), each batch fsync'd
 * before append() returns. A segment is deleted once all its batches are acknowledged; the
 * last acknowledged seq is kept in `acked` so a restart does not resend them (a resend would
 * be harmless: ingest is idempotent by agentId + seq). Past `maxBytes` the oldest segment is
 * evicted whole; what that loses is counted, logged, and reported in stats().
 *
 * Only where each batch lies is kept in memory (seq, readings, offset and length in its
 * segment); the oldest is read back from disk when it is next to send. An agent cut off from
 * the control plane for hours therefore holds a few bytes per batch, not the batches.
 */
export interface SpoolOptions {
  dir: string;
  /** Bound on the spool's size on disk (default 256 MiB). */
  maxBytes?: number;
  /** A new segment starts past this size (default maxBytes / 16, at least 64 KiB). */
  segmentBytes?: number;
}

export interface SpoolStats {
  batches: number;
  readings: number;
  bytes: number;
  segments: number;
  evictedBatches: number;
  evictedReadings: number;
  /** Lines that could not be read back at start (a write cut short by a crash). */
  unreadableLines: number;
}

/** Where one spooled batch lies in its segment file. */
interface BatchRef {
  seq: number;
  readings: number;
  offset: number;
  length: number;
}

interface Segment {
  file: string;
  bytes: number;
  batches: BatchRef[];
  /** Index of the first batch not yet acknowledged. */
  head: number;
}

export const SPOOL_DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

export class Spool {
  private readonly segments: Segment[] = [];
  private fd: number | undefined;
  private ackedSeq = -1;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly s = { evictedBatches: 0, evictedReadings: 0, unreadableLines: 0 };
  /** The oldest batch as read back from disk, until it is acknowledged. */
  private oldest: AgentBatch | undefined;

  private constructor(
    private readonly dir: string,
    opts: SpoolOptions,
    private readonly log: Logger,
  ) {
    this.maxBytes = opts.maxBytes ?? SPOOL_DEFAULT_MAX_BYTES;
    this.segmentBytes = opts.segmentBytes ?? Math.max(64 * 1024, Math.floor(this.maxBytes / 16));
  }

  /** Opens (creating) the spool and loads what a previous run left, oldest first. */
  static open(opts: SpoolOptions, log: Logger): Spool {
    const spool = new Spool(opts.dir, opts, log);
    try {
      spool.load();
    } catch (err) {
      throw wrap(`opening the spool in ${opts.dir}`, err, 'E_SPOOL');
    }
    const st = spool.stats();
    if (st.batches > 0) log.info({ dir: opts.dir, batches: st.batches, readings: st.readings, bytes: st.bytes }, 'spool reloaded: unsent batches from the last run will be replayed');
    return spool;
  }

  private load(): void {
    mkdirSync(this.dir, { recursive: true });
    const ackFile = join(this.dir, 'acked');
    try {
      this.ackedSeq = Number(readFileSync(ackFile, 'utf8').trim());
      if (!Number.isSafeInteger(this.ackedSeq)) throw new Error(`${ackFile}: not a seq`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.ackedSeq = -1;
    }
    const files = readdirSync(this.dir).filter((f) => /^seg-\d+\.jsonl$/.test(f));
    files.sort((a, b) => Number(a.slice(4, -6)) - Number(b.slice(4, -6)));
    for (const name of files) {
      const file = join(this.dir, name);
      const batches: BatchRef[] = [];
      const bytes = readFileSync(file);
      let line = 0;
      for (let offset = 0; offset < bytes.length; ) {
        const nl = bytes.indexOf(10, offset);
        const end = nl < 0 ? bytes.length : nl;
        line++;
        if (end > offset) {
          try {
            const batch = JSON.parse(bytes.toString('utf8', offset, end)) as AgentBatch;
            if (batch.seq > this.ackedSeq) batches.push({ seq: batch.seq, readings: batch.readings.length, offset, length: end - offset });
          } catch (err) {
            // Only a write cut short by a crash can leave a broken line, and only at the end.
            this.s.unreadableLines++;
            this.log.error({ file, line, err: (err as Error).message }, 'spool: unreadable line skipped');
          }
        }
        offset = end + 1;
      }
      if (batches.length === 0) {
        unlinkSync(file);
        continue;
      }
      this.segments.push({ file, bytes: bytes.length, batches, head: 0 });
    }
  }

  isEmpty(): boolean {
    return this.segments.every((s) => s.head >= s.batches.length);
  }

  /** Highest seq held or acknowledged; a restarted shipper numbers above it. */
  maxSeq(): number {
    const last = this.segments[this.segments.length - 1];
    const lastBatch = last?.batches[last.batches.length - 1];
    return Math.max(this.ackedSeq, lastBatch?.seq ?? -1);
  }

  /** Writes and fsyncs one batch; evicts the oldest segments past the size bound. */
  append(batch: AgentBatch): void {
    const line = `${JSON.stringify(batch)}\n`;
    const bytes = Buffer.byteLength(line);
    let seg = this.segments[this.segments.length - 1];
    if (seg === undefined || this.fd === undefined || seg.bytes >= this.segmentBytes) {
      this.closeFd();
      const file = join(this.dir, `seg-${batch.seq}.jsonl`);
      this.fd = openSync(file, 'a');
      seg = { file, bytes: 0, batches: [], head: 0 };
      this.segments.push(seg);
    }
    try {
      writeSync(this.fd, line);
      fsyncSync(this.fd);
    } catch (err) {
      throw wrap(`spooling batch ${batch.seq} to ${seg.file}`, err, 'E_SPOOL');
    }
    seg.batches.push({ seq: batch.seq, readings: batch.readings.length, offset: seg.bytes, length: bytes - 1 });
    seg.bytes += bytes;
    this.evict();
  }

  peek(): AgentBatch | undefined {
    const seg = this.segments.find((s) => s.head < s.batches.length);
    const ref = seg?.batches[seg.head];
    if (seg === undefined || ref === undefined) return undefined;
    if (this.oldest?.seq !== ref.seq) this.oldest = this.readBack(seg.file, ref);
    return this.oldest;
  }

  private readBack(file: string, ref: BatchRef): AgentBatch {
    const buf = Buffer.allocUnsafe(ref.length);
    let fd: number | undefined;
    try {
      fd = openSync(file, 'r');
      let got = 0;
      while (got < ref.length) {
        const n = readSync(fd, buf, got, ref.length - got, ref.offset + got);
        if (n === 0) throw new Error(`${file} ends before batch ${ref.seq} does`);
        got += n;
      }
      return JSON.parse(buf.toString('utf8')) as AgentBatch;
    } catch (err) {
      throw wrap(`reading spooled batch ${ref.seq} back from ${file}`, err, 'E_SPOOL');
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** The oldest batch was delivered (or refused for good): forget it. */
  ack(seq: number): void {
    const seg = this.segments.find((s) => s.head < s.batches.length);
    const head = seg?.batches[seg.head];
    if (seg === undefined || head === undefined || head.seq !== seq) throw new Error(`spool: ack of seq ${seq}, but the oldest batch is ${head?.seq ?? 'none'}`);
    seg.head++;
    this.oldest = undefined;
    this.ackedSeq = seq;
    const tmp = join(this.dir, 'acked.tmp');
    writeFileSync(tmp, String(seq));
    renameSync(tmp, join(this.dir, 'acked'));
    if (seg.head >= seg.batches.length) {
      // Fully delivered: if it is the segment being appended to, the next append starts a new one.
      if (seg === this.segments[this.segments.length - 1]) this.closeFd();
      this.dropSegment(seg);
    }
  }

  stats(): SpoolStats {
    let batches = 0;
    let readings = 0;
    let bytes = 0;
    for (const s of this.segments) {
      bytes += s.bytes;
      for (let i = s.head; i < s.batches.length; i++) {
        batches++;
        readings += (s.batches[i] as BatchRef).readings;
      }
    }
    return { batches, readings, bytes, segments: this.segments.length, ...this.s };
  }

  close(): void {
    this.closeFd();
  }

  private evict(): void {
    let bytes = this.segments.reduce((sum, s) => sum + s.bytes, 0);
    while (bytes > this.maxBytes && this.segments.length > 1) {
      const oldest = this.segments[0] as Segment;
      const lost = oldest.batches.slice(oldest.head);
      const readings = lost.reduce((sum, b) => sum + b.readings, 0);
      this.s.evictedBatches += lost.length;
      this.s.evictedReadings += readings;
      bytes -= oldest.bytes;
      this.dropSegment(oldest);
      this.log.warn(
        { batches: lost.length, readings, firstSeq: lost[0]?.seq, lastSeq: lost[lost.length - 1]?.seq, maxBytes: this.maxBytes, evictedReadingsTotal: this.s.evictedReadings },
        'spool full: evicted the oldest segment',
      );
    }
  }

  private dropSegment(seg: Segment): void {
    if (seg.batches.some((b) => b.seq === this.oldest?.seq)) this.oldest = undefined;
    this.segments.splice(this.segments.indexOf(seg), 1);
    unlinkSync(seg.file);
  }

  private closeFd(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
