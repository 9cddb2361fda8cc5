/**
 * The site's dispatch policy as a fast rule, not the MILP: a mining block hashes in an hour
 * when the hour's price is at or below its break-even (hashprice × PH/s × kept share ÷ 24 ÷
 * wall MW), and pays a restart cost each time it comes back on. Within a day the hour prices
 * are the day's level × the month's hour shape, so which hours run depends only on how many
 * shape values lie at or below break-even ÷ level. This table holds, per calendar month and for
 * k = 0..24 hours on (the k cheapest hours), the sum of their shape values and the number of
 * restarts (off → on changes, counting the day as a cycle: each day repeats its pattern), so
 * a path finds a block's hours on in the sorted shape instead of comparing 24 hours.
 */
export interface DispatchTable {
  /** 12 × 24 shape values sorted ascending, month-major. */
  sorted: Float64Array;
  /** 12 × 25: sum of the k smallest shape values. */
  sumShape: Float64Array;
  /** 12 × 25: restarts per day when the k cheapest hours run. */
  restarts: Float64Array;
}

export function dispatchTable(shape: Float64Array): DispatchTable {
  if (shape.length !== 12 * 24) throw new RangeError(`price shape must hold 12 × 24 values, got ${shape.length}`);
  const sorted = new Float64Array(12 * 24);
  const sumShape = new Float64Array(12 * 25);
  const restarts = new Float64Array(12 * 25);
  for (let c = 0; c < 12; c++) {
    const hours = Array.from({ length: 24 }, (_, h) => h).sort((a, b) => shape[c * 24 + a]! - shape[c * 24 + b]! || a - b);
    const on = new Uint8Array(24);
    for (let k = 0; k <= 24; k++) {
      if (k > 0) {
        const h = hours[k - 1]!;
        on[h] = 1;
        sorted[c * 24 + k - 1] = shape[c * 24 + h]!;
        sumShape[c * 25 + k] = sumShape[c * 25 + k - 1]! + shape[c * 24 + h]!;
      }
      let starts = 0;
      for (let h = 0; h < 24; h++) if (on[h] === 1 && on[(h + 23) % 24] === 0) starts++;
      restarts[c * 25 + k] = starts;
    }
  }
  return { sorted, sumShape, restarts };
}
