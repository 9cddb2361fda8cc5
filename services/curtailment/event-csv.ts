import { csvCell, type Cell } from '../lib/csv.ts';
import { curtailedByInterval, roundMicro } from './event-intervals.ts';
import { firstEntry, type EventRecord, type TimelineKind } from './event-record.ts';

/**
 * The settlement CSV of an event: four sections separated by a blank line, each opening with
 * its own header row — the event (field,value), the per-interval curtailment, the per-device
 * log, the revenue-meter samples. Times are ISO 8601 UTC with milliseconds; MW and MWh carry
 * six decimals (1 W, 1 Wh) and device watts are written as stored, so every value parses back
 * to exactly what the record and curtailedByInterval hold. Empty cell = no value.
 */

const W_PER_MW = 1e6;

const TIMESTAMPS: readonly TimelineKind[] = [
  'signal-received',
  'plan-made',
  'first-command',
  'last-command',
  'meter-confirmed',
  'restore-start',
  'restore-end',
  'aborted',
  'failed',
];

export function toCsv(record: EventRecord, intervalMinutes = 5): string {
  const lastAck = record.timeline.reduce<number | undefined>((m, e) => (e.kind === 'ack' && (m === undefined || e.atMs > m) ? e.atMs : m), undefined);
  const header: Array<[string, Cell]> = [
    ['event_id', record.id],
    ['program', record.program],
    ['program_name', record.programName ?? ''],
    ['reason', record.reason ?? ''],
    ['status', record.status],
    ['target_mw', 'targetMw' in record.target ? record.target.targetMw : undefined],
    ['shed_mw', 'shedMw' in record.target ? record.target.shedMw : undefined],
    ['allow_ai', String(record.allowAi)],
    ['requested_start_utc', iso(record.requestedStartMs)],
    ['requested_end_utc', iso(record.requestedEndMs)],
    ['baseline_mw', record.baselineW === null ? undefined : roundMicro(record.baselineW / W_PER_MW)],
    ['baseline_window_ms', record.baselineWindowMs],
    ['interval_minutes', intervalMinutes],
    ...TIMESTAMPS.map((k): [string, Cell] => [`${k.replaceAll('-', '_')}_utc`, iso(firstEntry(record, k)?.atMs)]),
    ['acks', record.timeline.filter((e) => e.kind === 'ack').length],
    ['last_ack_utc', iso(lastAck)],
  ];
  const intervals = record.baselineW === null ? [] : curtailedByInterval(record, intervalMinutes);
  const lines: string[] = [
    row(['field', 'value']),
    ...header.map(row),
    '',
    row(['interval_start_utc', 'interval_end_utc', 'covered_ms', 'curtailed_mw', 'curtailed_mwh']),
    ...intervals.map((i) => row([iso(i.startMs), iso(i.endMs), i.coveredMs, i.curtailedMw, i.curtailedMwh])),
    '',
    row(['device_id', 'block_id', 'phase', 'action', 'target_w', 'expected_delta_w', 'sent_utc', 'ack_utc', 'outcome', 'error']),
    ...record.devices.map((d) =>
      row([d.deviceId, d.blockId, d.phase, d.action, d.targetW, d.expectedDeltaW, iso(d.sentAtMs), iso(d.ackAtMs), d.outcome, d.error ?? '']),
    ),
    '',
    row(['meter_utc', 'load_mw']),
    ...record.meterSamples.map((s) => row([iso(s.atMs), roundMicro(s.loadW / W_PER_MW)])),
  ];
  return lines.join('\n') + '\n';
}

function iso(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString();
}

/** Numbers go out as numbers; text through csvCell (RFC 4180, formula-looking text escaped). */
function row(cells: readonly Cell[]): string {
  return cells.map(csvCell).join(',');
}
