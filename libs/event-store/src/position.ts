import type { Position } from './event-store.port';

/** Negative when a is before b, 0 when equal, positive when after. `null` is before everything. */
export function comparePositions(a: Position | null, b: Position | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return a.commit !== b.commit ? a.commit - b.commit : a.prepare - b.prepare;
}

export function isAfter(a: Position | null, b: Position | null): boolean {
  return comparePositions(a, b) > 0;
}

/** "commit/prepare": the form stored in checkpoints and printed by the CLI. */
export function formatPosition(position: Position | null): string {
  return position === null ? 'start' : `${position.commit}/${position.prepare}`;
}

export function parsePosition(text: string | null | undefined): Position | null {
  if (text === null || text === undefined || text === '' || text === 'start') return null;
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (!match) throw new Error(`Not a position: "${text}" (expected "commit/prepare" or "start")`);
  return { commit: Number(match[1]), prepare: Number(match[2]) };
}

/** Numbers from a database's 64-bit columns, refused rather than silently rounded. */
export function toSafeNumber(value: string | number | bigint, what: string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} ${String(value)} is beyond 2^53 and cannot be represented`);
  return n;
}

/** The latest of several positions (the position of a whole multi-stream append). */
export function latestPosition(positions: readonly Position[]): Position {
  if (positions.length === 0) throw new RangeError('latestPosition needs at least one position');
  return positions.reduce((latest, p) => (comparePositions(p, latest) > 0 ? p : latest));
}
