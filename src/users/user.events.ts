import type { DomainEvent } from '../customer-success/shared/decider';

/** Who may sign in and own records. Passwords and sign-in come with the authorization module. */
export const USER_ROLES = ['admin', 'csm', 'viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export type UserRegistered = DomainEvent<
  'UserRegistered',
  { userId: string; email: string; name: string; role: UserRole; registeredAt: string }
>;
export type UserRoleChanged = DomainEvent<'UserRoleChanged', { userId: string; from: UserRole; to: UserRole; changedAt: string }>;

export type UserEvent = UserRegistered | UserRoleChanged;
export const userStream = (userId: string) => `user-${userId}`;
