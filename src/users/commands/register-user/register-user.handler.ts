import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import { adminMetadata } from '../../../customer-success/companies/commands/admin-context';
import { DomainError } from '../../../customer-success/shared/domain-error';
import { deterministicUuid } from '../../../customer-success/write/deterministic-id';
import { validateInput } from '../../../customer-success/write/validate-input';
import { handleCommand } from '../../../infrastructure/aggregate-store';
import { EVENT_STORE } from '../../../infrastructure/tokens';
import { userStream } from '../../user.events';
import { emailReservationDecider, userDecider, userEmailStream } from '../user.decider';
import { RegisterUserCommand, type RegisterUserResult } from './register-user.command';
import { RegisterUserDto } from './register-user.dto';

/** The id of a user registered without one. */
export const userIdFor = (email: string) => deterministicUuid(`user|${email.trim().toLowerCase()}`);

@CommandHandler(RegisterUserCommand)
export class RegisterUserHandler implements ICommandHandler<RegisterUserCommand, RegisterUserResult> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ input, context }: RegisterUserCommand): Promise<RegisterUserResult> {
    const dto = validateInput(RegisterUserDto, input);
    const email = dto.email.trim().toLowerCase();
    const userId = dto.user_id ?? userIdFor(email);
    const now = (context.now ?? new Date()).toISOString();
    const metadata = adminMetadata(context);

    // Checked before reserving, so a taken id never leaves a reservation behind.
    const [existing] = await this.store.readStream(userStream(userId), { maxCount: 1 });
    if (existing)
      throw new DomainError(
        'ALREADY_EXISTS',
        existing.data.email === email
          ? `${email} is already registered (user ${userId})`
          : `A user with id ${userId} already exists (${String(existing.data.email)}); register the new user with another id`,
      );

    await handleCommand(
      this.store,
      userEmailStream(email),
      emailReservationDecider,
      { type: 'ReserveUserEmail', data: { email, userId }, metadata: { now } },
      { metadata },
    );
    const { events } = await handleCommand(
      this.store,
      userStream(userId),
      userDecider,
      { type: 'RegisterUser', data: { userId, email, name: dto.name.trim(), role: dto.role }, metadata: { now } },
      { metadata },
    );
    const registered = events[0].data as { name: string; role: string };
    return { userId, email, name: registered.name, role: registered.role };
  }
}
