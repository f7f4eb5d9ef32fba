import type { EventStore } from '@csmcp/event-store';
import { userEmailStream } from './commands/user.decider';
import { userStream, type UserEvent, type UserRole } from './user.events';

export interface UserRecord {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly role: UserRole;
}

/**
 * Users by point reads of their streams, not the read model: sign-in and token checks must see a
 * registration or role change made a moment ago by another process (the CLI beside the server).
 */
export async function findUserById(store: EventStore, userId: string): Promise<UserRecord | null> {
  let user = null as UserRecord | null;
  for (const event of (await store.readStream(userStream(userId))) as unknown as UserEvent[]) {
    if (event.type === 'UserRegistered') user = { userId: event.data.userId, email: event.data.email, name: event.data.name, role: event.data.role };
    else if (event.type === 'UserRoleChanged' && user) user = { ...user, role: event.data.to };
  }
  return user;
}

/** Through the email's reservation stream (lower-cased), then the user's own stream. */
export async function findUserByEmail(store: EventStore, email: string): Promise<UserRecord | null> {
  const [reserved] = await store.readStream(userEmailStream(email), { maxCount: 1 });
  return reserved ? findUserById(store, String(reserved.data.userId)) : null;
}
