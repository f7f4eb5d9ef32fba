import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { EventStore } from '@csmcp/event-store';
import { adminMetadata, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { userCredentialsStream, type UserPasswordSet } from '../../users/credentials.events';
import { findUserByEmail, findUserById, type UserRecord } from '../../users/user-directory';
import { checkPasswordRules, hashPassword, verifyPasswordHash } from './password-hash';

/** Passwords for the sign-in page: set by an admin (`csmcp users add --password-stdin`), checked at sign-in. */
@Injectable()
export class PasswordService {
  private decoy: Promise<string> | null = null;

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Checks the rules (PasswordRuleError says what is allowed), hashes and stores the password. Never logged. */
  async setPassword(userId: string, password: string, context: AdminContext): Promise<void> {
    checkPasswordRules(password);
    if (!(await findUserById(this.store, userId))) throw new Error(`no user has id ${userId}; register the user first`);
    const event: UserPasswordSet = {
      type: 'UserPasswordSet',
      data: { userId, passwordHash: await hashPassword(password), setAt: (context.now ?? new Date()).toISOString() },
    };
    await this.store.appendToStream(userCredentialsStream(userId), [event], { expectedRevision: 'any', metadata: adminMetadata(context) });
  }

  async hasPassword(userId: string): Promise<boolean> {
    return (await this.store.readStream(userCredentialsStream(userId), { maxCount: 1 })).length > 0;
  }

  /**
   * The user whose email and password these are, or null. An unknown email or a user without a
   * password costs one scrypt too, so the answer's timing does not tell which emails are registered.
   */
  async verify(email: string, password: string): Promise<UserRecord | null> {
    const user = await findUserByEmail(this.store, email);
    const stored = user ? await this.currentHash(user.userId) : null;
    const matches = await verifyPasswordHash(password, stored ?? (await this.decoyHash()));
    return user && stored && matches ? user : null;
  }

  private async currentHash(userId: string): Promise<string | null> {
    const events = (await this.store.readStream(userCredentialsStream(userId))) as unknown as UserPasswordSet[];
    const last = events.filter((e) => e.type === 'UserPasswordSet').at(-1);
    return last ? last.data.passwordHash : null;
  }

  private decoyHash(): Promise<string> {
    this.decoy ??= hashPassword(randomBytes(18).toString('base64'));
    return this.decoy;
  }
}
