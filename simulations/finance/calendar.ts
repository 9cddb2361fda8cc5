/** Days of a horizon of whole calendar months from a start month ("YYYY-MM"), UTC. */
export interface Calendar {
  startMonth: string;
  months: number;
  days: number;
  monthOfDay: Int32Array;
  calMonthOfDay: Int32Array;
  daysInMonth: Int32Array;
  /** "YYYY-MM" of each month. */
  labels: string[];
  /** Day index of each month's first day. */
  firstDay: Int32Array;
}

export function calendar(startMonth: string, months: number): Calendar {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(startMonth);
  if (!m) throw new RangeError(`start month must be YYYY-MM, got "${startMonth}"`);
  if (!Number.isInteger(months) || months < 1) throw new RangeError(`months must be a positive integer, got ${months}`);
  const y0 = Number(m[1]);
  const mo0 = Number(m[2]) - 1;
  const daysInMonth = new Int32Array(months);
  const firstDay = new Int32Array(months);
  const labels: string[] = [];
  let days = 0;
  for (let k = 0; k < months; k++) {
    const y = y0 + Math.floor((mo0 + k) / 12);
    const mo = (mo0 + k) % 12;
    daysInMonth[k] = new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();
    firstDay[k] = days;
    days += daysInMonth[k]!;
    labels.push(`${y}-${String(mo + 1).padStart(2, '0')}`);
  }
  const monthOfDay = new Int32Array(days);
  const calMonthOfDay = new Int32Array(days);
  for (let k = 0; k < months; k++) {
    monthOfDay.fill(k, firstDay[k]!, firstDay[k]! + daysInMonth[k]!);
    calMonthOfDay.fill((mo0 + k) % 12, firstDay[k]!, firstDay[k]! + daysInMonth[k]!);
  }
  return { startMonth, months, days, monthOfDay, calMonthOfDay, daysInMonth, labels, firstDay };
}
