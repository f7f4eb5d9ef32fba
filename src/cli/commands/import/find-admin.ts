import type { EventStore } from '@csmcp/event-store';
import type { AdminContext } from '../../../customer-success/companies/commands/admin-context';
import { foldEvents } from '../../../customer-success/shared/decider';
import { userDecider, userEmailStream } from '../../../users/commands/user.decider';
import { userStream, type UserEvent } from '../../../users/user.events';
import { UsageError } from '../../errors';

/** The admin named by --as, to record as the actor of an admin command. */
export async function findAdmin(store: EventStore, email: string): Promise<AdminContext['actor']> {
  const [reserved] = await store.readStream(userEmailStream(email), { maxCount: 1 });
  const userId = reserved ? String(reserved.data.userId) : null;
  const state = userId ? foldEvents(userDecider, (await store.readStream(userStream(userId))) as unknown as UserEvent[]) : null;
  if (!state?.exists) throw new UsageError(`--as ${email}: no user has this email; name an admin (csmcp users add --role admin)`);
  if (state.role !== 'admin') throw new UsageError(`--as ${email}: this user is a ${state.role}, not an admin; name an admin`);
  return { type: 'user', id: state.userId, email: state.email };
}
