import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import { adminMetadata } from '../../../customer-success/companies/commands/admin-context';
import { handleCommand } from '../../../infrastructure/aggregate-store';
import { EVENT_STORE } from '../../../infrastructure/tokens';
import { userStream } from '../../user.events';
import { userDecider } from '../user.decider';
import { ChangeUserRoleCommand, type ChangeUserRoleResult } from './change-user-role.command';

@CommandHandler(ChangeUserRoleCommand)
export class ChangeUserRoleHandler implements ICommandHandler<ChangeUserRoleCommand, ChangeUserRoleResult> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ userId, role, context }: ChangeUserRoleCommand): Promise<ChangeUserRoleResult> {
    const now = (context.now ?? new Date()).toISOString();
    const { events, state } = await handleCommand(
      this.store,
      userStream(userId),
      userDecider,
      { type: 'ChangeUserRole', data: { userId, role }, metadata: { now } },
      { metadata: adminMetadata(context) },
    );
    // The decider refused an unknown user, so the state exists here.
    if (!state.exists) throw new Error(`user ${userId} vanished while changing its role`);
    const changed = events.find((e) => e.type === 'UserRoleChanged');
    return { userId, email: state.email, from: changed ? changed.data.from : state.role, role: state.role, changed: changed !== undefined };
  }
}
