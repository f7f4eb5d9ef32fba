import { ENTITY_LABEL, refuse, type WritePolicyRule } from '../write-request';

/**
 * A machine client writes for the organisation with no user signed in, so it owns nothing: what it
 * creates needs an owner named by owner_id (the handlers default the owner to the caller, which for a
 * machine client is its client id). owner-is-user then checks that the owner named is a user.
 */
export const ownerNamedForClient: WritePolicyRule = (request) => {
  const { caller } = request;
  if (caller.actor !== 'client' || !(request.ownerIds ?? []).includes(caller.userId)) return null;
  return refuse(
    'OWNER_REQUIRED',
    `A machine client (the integration ${caller.integrationId ?? caller.userId}) cannot own a ${ENTITY_LABEL[request.entity]}: it acts for the organisation with no user signed in. ` +
      'Give owner_id: the user id of the csmcp user who is to own it',
  );
};
