/** Rounds money to the cent for export (the API's JSON keeps the same rounding). */
export function cents(x: number | null): number | null {
  return x === null ? null : Math.round(x * 100) / 100;
}
