import { refuse, type WritePolicyRule } from '../write-request';

/** An owner (of a CTA, a task, a plan) is an existing csmcp user. */
export const ownerIsUser: WritePolicyRule = async (request, { lookups }) => {
  for (const ownerId of request.ownerIds ?? []) {
    if (await lookups.userExists(ownerId)) continue;
    return refuse(
      'OWNER_NOT_A_USER',
      `Owner ${ownerId} is not a user of csmcp; an owner must be an existing user: give their user id`,
    );
  }
  return null;
};
