import type { DomainEvent } from '../customer-success/shared/decider';

/**
 * A user's password hash lives in its own stream, never in user-<id>: projections and exports copy the
 * user stream's events, and a hash must not travel with them. Only PasswordService reads this stream.
 */
export const userCredentialsStream = (userId: string) => `user-credentials-${userId}`;

/** `passwordHash` is a self-describing scrypt string (see src/auth/passwords/password-hash.ts). */
export type UserPasswordSet = DomainEvent<'UserPasswordSet', { userId: string; passwordHash: string; setAt: string }>;

export type CredentialsEvent = UserPasswordSet;
