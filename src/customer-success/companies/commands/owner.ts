import type { Report } from './import-batch';
import type { ReferenceLookups } from './reference-lookups';

/**
 * A row names its owner by owner_id or owner_email (or both, naming the same user). Returns the
 * user id, null to clear the owner, undefined to keep it (neither column), or false after reporting
 * a problem: the owner must be a registered user.
 */
export async function resolveOwner(
  dto: { owner_id?: string | null; owner_email?: string | null },
  refs: ReferenceLookups,
  report: Report,
): Promise<string | null | undefined | false> {
  const { owner_id: id, owner_email: email } = dto;
  if (id === undefined && email === undefined) return undefined;
  let byEmail: string | null = null;
  if (typeof email === 'string') {
    byEmail = await refs.userIdByEmail(email);
    if (byEmail === null) {
      report('owner_email', `no user has the email ${email}`, 'the email of a registered user (csmcp users add), or empty');
      return false;
    }
  }
  if (typeof id === 'string') {
    if (!(await refs.userExists(id))) {
      report('owner_id', `no user has the id ${id}`, 'the id of a registered user (csmcp users add), or empty');
      return false;
    }
    if (byEmail !== null && byEmail !== id) {
      report('owner_email', `${email} is the email of user ${byEmail}, not of owner_id ${id}`, 'owner_id and owner_email of the same user, or only one of them');
      return false;
    }
    return id;
  }
  return byEmail;
}
