/**
 * Calendar-day arithmetic on `YYYY-MM-DD` strings, in UTC. Analysis counts days in UTC calendar days
 * from the UTC date of the `now` it is given, never from the database clock.
 */

const DAY_MS = 86_400_000;
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The UTC calendar date of an instant. */
export function utcDay(now: Date): string {
  const ms = now.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('now is not a valid date');
  return new Date(ms).toISOString().slice(0, 10);
}

/** `day` plus `days` (which may be negative). */
export function addDays(day: string, days: number): string {
  const m = CALENDAR_DATE.exec(day);
  if (!m) throw new RangeError(`not a calendar date: ${day}`);
  const result = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + days * DAY_MS).toISOString();
  // Years beyond 9999 print as +010000-...: not a YYYY-MM-DD string, and never needed (see isCalendarDate).
  if (!/^\d{4}-/.test(result)) throw new RangeError(`${day} plus ${days} days is outside the years 1000-9999`);
  return result.slice(0, 10);
}

/** A real calendar date written YYYY-MM-DD (no 2024-02-30), in the years 1000-9999. */
export function isCalendarDate(text: string): boolean {
  const m = CALENDAR_DATE.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1000 || month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return day <= daysInMonth[month - 1];
}
