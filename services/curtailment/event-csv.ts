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
  const header: Array<[string, string]> = [
    ['event_id', record.id],
    ['program', record.program],
    ['program_name', record.programName ?? ''],
    ['reason', record.reason ?? ''],
    ['status', record.status],
    ['target_mw', 'targetMw' in record.target ? String(record.target.targetMw) : ''],
    ['shed_mw', 'shedMw' in record.target ? String(record.target.shedMw) : ''],
    ['allow_ai', String(record.allowAi)],
    ['requested_start_utc', iso(record.requestedStartMs)],
    ['requested_end_utc', iso(record.requestedEndMs)],
    ['baseline_mw', record.baselineW === null ? '' : String(roundMicro(record.baselineW / W_PER_MW))],
    ['baseline_window_ms', String(record.baselineWindowMs)],
    ['interval_minutes', String(intervalMinutes)],
    ...TIMESTAMPS.map((k): [string, string] => [`${k.replaceAll('-', '_')}_utc`, iso(firstEntry(record, k)?.atMs)]),
    ['acks', String(record.timeline.filter((e) => e.kind === 'ack').length)],
    ['last_ack_utc', iso(lastAck)],
  ];
  const intervals = record.baselineW === null ? [] : curtailedByInterval(record, intervalMinutes);
  const lines: string[] = [
    row(['field', 'value']),
    ...header.map(row),
    '',
    row(['interval_start_utc', 'interval_end_utc', 'covered_ms', 'curtailed_mw', 'curtailed_mwh']),
    ...intervals.map((i) => row([iso(i.startMs), iso(i.endMs), String(i.coveredMs), String(i.curtailedMw), String(i.curtailedMwh)])),
    '',
    row(['device_id', 'block_id', 'phase', 'action', 'target_w', 'expected_delta_w', 'sent_utc', 'ack_utc', 'outcome', 'error']),
    ...record.devices.map((d) =>
      row([d.deviceId, d.blockId, d.phase, d.action, num(d.targetW), String(d.expectedDeltaW), iso(d.sentAtMs), iso(d.ackAtMs), d.outcome, d.error ?? '']),
    ),
    '',
    row(['meter_utc', 'load_mw']),
    ...record.meterSamples.map((s) => row([iso(s.atMs), String(roundMicro(s.loadW / W_PER_MW))])),
  ];
  return lines.join('\n') + '\n';
}

function iso(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString();
}

function num(v: number | undefined): string {
  return v === undefined ? '' : String(v);
}

function row(cells: readonly string[]): string {
  return cells.map(cell).join(',');
}

/** A cell a spreadsheet would run as a formula (OWASP "CSV injection"); a plain number is not one. */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * RFC 4180 quoting for cells that need it (free text: reasons, errors, names). Text that
 * starts like a formula (= + - @, tab, CR) gets a leading apostrophe, so Excel and
 * LibreOffice show it instead of running it (`=HYPERLINK(...)` in an event reason).
 */
function cell(v: string): string {
  const safe = FORMULA_START.test(v) && !PLAIN_NUMBER.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
