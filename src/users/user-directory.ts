import type { EventStore } from '@csmcp/event-store';
import { foldEvents } from '../customer-success/shared/decider';
import { teamDecider, userEmailStream } from './commands/user.decider';
import { teamStream } from './team';
import { userStream, type TeamEvent, type UserEvent, type UserRole } from './user.events';

export interface UserRecord {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly role: UserRole;
  /** The user's team, as last set (null: none). */
  readonly team: string | null;
}

/**
 * Users by point reads of their streams, not the read model: sign-in and token checks must see a
 * registration or role change made a moment ago by another process (the CLI beside the server).
 */
export async function findUserById(store: EventStore, userId: string): Promise<UserRecord | null> {
  let user = null as UserRecord | null;
  for (const event of (await store.readStream(userStream(userId))) as unknown as UserEvent[]) {
    if (event.type === 'UserRegistered')
      user = { userId: event.data.userId, email: event.data.email, name: event.data.name, role: event.data.role, team: null };
    else if (event.type === 'UserRoleChanged' && user) user = { ...user, role: event.data.to };
    else if (event.type === 'UserTeamChanged' && user) user = { ...user, team: event.data.to };
  }
  return user;
}

/** Through the email's reservation stream (lower-cased), then the user's own stream. */
export async function findUserByEmail(store: EventStore, email: string): Promise<UserRecord | null> {
  const [reserved] = await store.readStream(userEmailStream(email), { maxCount: 1 });
  return reserved ? findUserById(store, String(reserved.data.userId)) : null;
}

/** The ids of a team's members, by a point read of the team's stream (in the order they joined). */
export async function findTeamMemberIds(store: EventStore, team: string): Promise<string[]> {
  return [...foldEvents(teamDecider, (await store.readStream(teamStream(team))) as unknown as TeamEvent[]).members];
}

/**
 * Whose companies the user sees with personal access: the members of the user's team (the user
 * included), or the user alone without a team.
 */
export async function visibleOwnersOf(store: EventStore, user: Pick<UserRecord, 'userId' | 'team'>): Promise<string[]> {
  if (user.team === null) return [user.userId];
  const members = await findTeamMemberIds(store, user.team);
  return members.includes(user.userId) ? members : [user.userId, ...members];
}
