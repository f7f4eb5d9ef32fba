import type { Decider, DomainCommand, DomainEvent } from '../../customer-success/shared/decider';
import { DomainError } from '../../customer-success/shared/domain-error';
import { commandNow, oneOf, requiredId, requiredText } from '../../customer-success/shared/validation';
import { TEXT_LIMITS } from '../../customer-success/shared/values';
import { requiredEmail } from '../../customer-success/companies/commands/reference-validation';
import { sameTeam, teamName } from '../team';
import {
  USER_ROLES,
  type TeamEvent,
  type TeamMemberJoined,
  type TeamMemberLeft,
  type UserEvent,
  type UserRegistered,
  type UserRole,
  type UserRoleChanged,
  type UserTeamChanged,
} from '../user.events';

/**
 * Two small deciders: the user itself (stream user-<id>) and the reservation of its email address
 * (stream user-email-<lower-cased email>). The reservation is appended with expectedRevision
 * no_stream, so of two registrations of one email at the same moment exactly one wins.
 */

export type RegisterUser = DomainCommand<'RegisterUser', { userId: string; email: string; name: string; role: UserRole }>;
/** `role` as the admin gave it (checked here); the same role again changes nothing. */
export type ChangeUserRole = DomainCommand<'ChangeUserRole', { userId: string; role: unknown }>;
/** `team` as the admin gave it (checked here): a name, or null to leave the team; the same team again changes nothing. */
export type ChangeUserTeam = DomainCommand<'ChangeUserTeam', { userId: string; team: unknown }>;
export type UserCommand = RegisterUser | ChangeUserRole | ChangeUserTeam;

export type UserState = { exists: false } | { exists: true; userId: string; email: string; role: UserRole; team: string | null };

export const initialUserState = (): UserState => ({ exists: false });

export function evolveUser(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserRegistered':
      return { exists: true, userId: event.data.userId, email: event.data.email, role: event.data.role, team: null };
    case 'UserRoleChanged':
      return state.exists ? { ...state, role: event.data.to } : state;
    case 'UserTeamChanged':
      return state.exists ? { ...state, team: event.data.to } : state;
    default:
      return state;
  }
}

export function decideUser(command: UserCommand, state: UserState): UserEvent[] {
  if (command.type === 'ChangeUserRole') return changeRole(command, state);
  if (command.type === 'ChangeUserTeam') return changeTeam(command, state);
  const now = commandNow(command.metadata);
  const { data } = command;
  const userId = requiredId('userId', data.userId);
  const registered: UserRegistered = {
    type: 'UserRegistered',
    data: {
      userId,
      email: requiredEmail('email', data.email),
      name: requiredText('name', data.name, TEXT_LIMITS.name),
      role: oneOf('role', data.role, USER_ROLES),
      registeredAt: now.iso,
    },
  };
  if (state.exists) throw new DomainError('ALREADY_EXISTS', `A user with id ${userId} already exists (${state.email}); register the new user with another id`);
  return [registered];
}

function changeRole(command: ChangeUserRole, state: UserState): UserRoleChanged[] {
  const now = commandNow(command.metadata);
  const userId = requiredId('userId', command.data.userId);
  const role = oneOf('role', command.data.role, USER_ROLES);
  if (!state.exists) throw new DomainError('NOT_FOUND', `There is no user with id ${userId}; list the users to find their ids`, { field: 'user_id' });
  if (state.role === role) return [];
  return [{ type: 'UserRoleChanged', data: { userId, from: state.role, to: role, changedAt: now.iso } }];
}

function changeTeam(command: ChangeUserTeam, state: UserState): UserTeamChanged[] {
  const now = commandNow(command.metadata);
  const userId = requiredId('userId', command.data.userId);
  const team = teamName('team', command.data.team);
  if (!state.exists) throw new DomainError('NOT_FOUND', `There is no user with id ${userId}; list the users to find their ids`, { field: 'user_id' });
  // One team however it is spelled: "north" for a member of "North" writes nothing.
  if (sameTeam(state.team, team)) return [];
  return [{ type: 'UserTeamChanged', data: { userId, from: state.team, to: team, changedAt: now.iso } }];
}

export const userDecider: Decider<UserState, UserCommand, UserEvent> = {
  decide: decideUser,
  evolve: evolveUser,
  initialState: initialUserState,
};

/** The email address is taken by this user: no other user may register it. */
export type UserEmailReserved = DomainEvent<'UserEmailReserved', { email: string; userId: string; reservedAt: string }>;
export type ReserveUserEmail = DomainCommand<'ReserveUserEmail', { email: string; userId: string }>;
export type EmailReservationState = { reservedBy: string | null };

export const userEmailStream = (email: string) => `user-email-${email.trim().toLowerCase()}`;

export function decideEmailReservation(command: ReserveUserEmail, state: EmailReservationState): UserEmailReserved[] {
  const now = commandNow(command.metadata);
  const email = requiredEmail('email', command.data.email);
  const userId = requiredId('userId', command.data.userId);
  // The same user again: a registration that stopped after reserving completes instead of failing.
  if (state.reservedBy === userId) return [];
  if (state.reservedBy !== null)
    throw new DomainError('ALREADY_EXISTS', `A user with email ${email} already exists; each email address may belong to one user only`, {
      field: 'email',
    });
  return [{ type: 'UserEmailReserved', data: { email, userId, reservedAt: now.iso } }];
}

export const emailReservationDecider: Decider<EmailReservationState, ReserveUserEmail, UserEmailReserved> = {
  decide: decideEmailReservation,
  evolve: (state, event) => (event.type === 'UserEmailReserved' && state.reservedBy === null ? { reservedBy: event.data.userId } : state),
  initialState: () => ({ reservedBy: null }),
};

/**
 * A team's member list (stream teamStream(name)), kept by the user's team changes: the change's
 * handler appends the user's UserTeamChanged and these in one multi-stream append.
 */
export type JoinTeam = DomainCommand<'JoinTeam', { team: string; userId: string }>;
export type LeaveTeam = DomainCommand<'LeaveTeam', { team: string; userId: string }>;
export type TeamCommand = JoinTeam | LeaveTeam;
export type TeamState = { readonly members: readonly string[] };

export function decideTeam(command: TeamCommand, state: TeamState): TeamEvent[] {
  const now = commandNow(command.metadata);
  const userId = requiredId('userId', command.data.userId);
  const team = teamName('team', command.data.team);
  if (team === null) throw new DomainError('VALIDATION', 'team is required: the team to join or leave', { field: 'team' });
  const member = state.members.includes(userId);
  if (command.type === 'JoinTeam') return member ? [] : [{ type: 'TeamMemberJoined', data: { team, userId, joinedAt: now.iso } } satisfies TeamMemberJoined];
  return member ? [{ type: 'TeamMemberLeft', data: { team, userId, leftAt: now.iso } } satisfies TeamMemberLeft] : [];
}

export function evolveTeam(state: TeamState, event: TeamEvent): TeamState {
  switch (event.type) {
    case 'TeamMemberJoined':
      return state.members.includes(event.data.userId) ? state : { members: [...state.members, event.data.userId] };
    case 'TeamMemberLeft':
      return { members: state.members.filter((id) => id !== event.data.userId) };
    default:
      return state;
  }
}

export const teamDecider: Decider<TeamState, TeamCommand, TeamEvent> = {
  decide: decideTeam,
  evolve: evolveTeam,
  initialState: () => ({ members: [] }),
};
