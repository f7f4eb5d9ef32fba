/**
 * The soak specs (`test/soak/*.soak.spec.ts`) run twice over: short inside `npm test` (so CI runs
 * them on every change), long in `npm run test:soak` (SOAK=full). Counts and durations come from
 * here so a spec states both in one place.
 */
export const SOAK_FULL = process.env.SOAK === 'full';

/** The figure for this mode: `short` under `npm test`, `full` under `npm run test:soak`. */
export function soakScale<T>(short: T, full: T): T {
  return SOAK_FULL ? full : short;
}

/** A jest timeout for a soak spec: generous, since the machine is shared and the long mode is long. */
export function soakTimeout(shortMs: number, fullMs: number): number {
  return soakScale(shortMs, fullMs);
}
