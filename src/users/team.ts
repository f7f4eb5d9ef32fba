import { DomainError } from '../customer-success/shared/domain-error';
import { describeValue } from '../customer-success/shared/validation';

/**
 * Team names: a user belongs to at most one team, named by a short name. Names compare without
 * regard to case or repeated spaces ("North  america" is the team "North America"); each user's
 * events keep the name as the admin spelled it.
 */
export const TEAM_NAME_MAX_LENGTH = 64;
const TEAM_NAME = /^[\p{L}\p{N} _-]+$/u;

/**
 * The team an admin gave: a trimmed name (inner runs of spaces made one), or null for none (null or
 * absent). A VALIDATION DomainError on `field` says what is allowed.
 */
export function teamName(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalid(field, `must be a team name or null (no team); got ${describeValue(value)}`);
  const name = value.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (name === '') throw invalid(field, 'must not be blank: give a team name, or none to leave the team');
  if (name.length > TEAM_NAME_MAX_LENGTH) throw invalid(field, `must be at most ${TEAM_NAME_MAX_LENGTH} characters; got ${name.length}`);
  // JSON quoting, so that a control character shows as \u0007 and not as itself.
  if (!TEAM_NAME.test(name)) throw invalid(field, `may contain only letters, digits, spaces, - and _; got ${JSON.stringify(name)}`);
  return name;
}

/** What makes two spellings one team: lower case, single spaces. */
export function teamKey(name: string): string {
  return name.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
}

export function sameTeam(a: string | null, b: string | null): boolean {
  return a === null || b === null ? a === b : teamKey(a) === teamKey(b);
}

/** The stream of a team's members (TeamMemberJoined/Left), by its key. */
export const teamStream = (name: string) => `team-${teamKey(name)}`;

function invalid(field: string, message: string): DomainError {
  return new DomainError('VALIDATION', `${field} ${message}`, { field });
}
