import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ConcurrencyError, type EventStore, type ExpectedRevision, type JsonObject, type RecordedEvent, type StreamAppend } from '@csmcp/event-store';
import { adminMetadata } from '../../../customer-success/companies/commands/admin-context';
import { foldEvents } from '../../../customer-success/shared/decider';
import { EVENT_STORE } from '../../../infrastructure/tokens';
import { teamStream } from '../../team';
import { userStream, type TeamEvent, type UserEvent, type UserTeamChanged } from '../../user.events';
import { teamDecider, userDecider, type TeamCommand } from '../user.decider';
import { ChangeUserTeamCommand, type ChangeUserTeamResult } from './change-user-team.command';

/** Attempts when another writer changed the user or one of the two teams in between. */
const MAX_ATTEMPTS = 10;

@CommandHandler(ChangeUserTeamCommand)
export class ChangeUserTeamHandler implements ICommandHandler<ChangeUserTeamCommand, ChangeUserTeamResult> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /**
   * The user's UserTeamChanged, the old team's TeamMemberLeft and the new team's TeamMemberJoined in
   * one multi-stream append, each stream at the revision read: a team's members never disagree with
   * its users. A concurrent change of any of them decides again on fresh state.
   */
  async execute({ userId, team, context }: ChangeUserTeamCommand): Promise<ChangeUserTeamResult> {
    const now = (context.now ?? new Date()).toISOString();
    const metadata = adminMetadata(context);
    for (let attempt = 1; ; attempt++) {
      const history = await this.store.readStream(userStream(userId));
      const state = foldEvents(userDecider, history as unknown as UserEvent[]);
      const events = userDecider.decide({ type: 'ChangeUserTeam', data: { userId, team }, metadata: { now } }, state);
      // The decider refused an unknown user, so the state exists here.
      if (!state.exists) throw new Error(`user ${userId} vanished while changing its team`);
      if (events.length === 0) return { userId, email: state.email, from: state.team, team: state.team, changed: false };
      const changed = events[0] as UserTeamChanged;
      const appends: StreamAppend[] = [{ streamName: userStream(userId), events: events.map(asNew), expectedRevision: revisionAfter(history) }];
      if (changed.data.from !== null) appends.push(...(await this.teamAppend({ type: 'LeaveTeam', data: { team: changed.data.from, userId }, metadata: { now } })));
      if (changed.data.to !== null) appends.push(...(await this.teamAppend({ type: 'JoinTeam', data: { team: changed.data.to, userId }, metadata: { now } })));
      try {
        await this.store.appendToStreams(appends, { metadata });
        return { userId, email: state.email, from: changed.data.from, team: changed.data.to, changed: true };
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || !appends.some((a) => a.streamName === error.streamName) || attempt >= MAX_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      }
    }
  }

  /** The team stream's part of the append: nothing when the member list has it already. */
  private async teamAppend(command: TeamCommand): Promise<StreamAppend[]> {
    const streamName = teamStream(command.data.team);
    const history = await this.store.readStream(streamName);
    const events = teamDecider.decide(command, foldEvents(teamDecider, history as unknown as TeamEvent[]));
    return events.length === 0 ? [] : [{ streamName, events: events.map(asNew), expectedRevision: revisionAfter(history) }];
  }
}

const asNew = (event: { type: string; data: object }) => ({ type: event.type, data: event.data as JsonObject });
const revisionAfter = (history: readonly RecordedEvent[]): ExpectedRevision => (history.length === 0 ? 'no_stream' : history[history.length - 1].revision);
