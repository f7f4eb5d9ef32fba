import type { DomainEvent } from '../customer-success/shared/decider';

/** Who may sign in and own records. Passwords and sign-in come with the authorization module. */
export const USER_ROLES = ['admin', 'csm', 'viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export type UserRegistered = DomainEvent<
  'UserRegistered',
  { userId: string; email: string; name: string; role: UserRole; registeredAt: string }
>;
export type UserRoleChanged = DomainEvent<'UserRoleChanged', { userId: string; from: UserRole; to: UserRole; changedAt: string }>;
/** The user joined, left or moved between teams (null: no team). Team names as the admin spelled them. */
export type UserTeamChanged = DomainEvent<'UserTeamChanged', { userId: string; from: string | null; to: string | null; changedAt: string }>;

export type UserEvent = UserRegistered | UserRoleChanged | UserTeamChanged;
export const userStream = (userId: string) => `user-${userId}`;

/**
 * A team's members, in the team's own stream (teamStream): written in the same multi-stream append
 * as the user's UserTeamChanged, so a team's member list never disagrees with its users' streams.
 */
export type TeamMemberJoined = DomainEvent<'TeamMemberJoined', { team: string; userId: string; joinedAt: string }>;
export type TeamMemberLeft = DomainEvent<'TeamMemberLeft', { team: string; userId: string; leftAt: string }>;
export type TeamEvent = TeamMemberJoined | TeamMemberLeft;
