import { DeciderSpecification } from '@csmcp/testing';
import { DomainError } from '../../customer-success/shared/domain-error';
import { sameTeam, teamName, teamStream } from '../team';
import type { TeamMemberJoined, TeamMemberLeft, UserRegistered, UserRoleChanged, UserTeamChanged } from '../user.events';
import {
  emailReservationDecider,
  teamDecider,
  userDecider,
  userEmailStream,
  type ChangeUserRole,
  type ChangeUserTeam,
  type JoinTeam,
  type LeaveTeam,
  type RegisterUser,
  type ReserveUserEmail,
  type UserEmailReserved,
} from './user.decider';

const now = '2025-04-01T09:00:00.000Z';

describe('user decider', () => {
  const spec = DeciderSpecification.for(userDecider);
  const register = (data: Partial<RegisterUser['data']> = {}): RegisterUser => ({
    type: 'RegisterUser',
    data: { userId: 'u-anna', email: 'Anna@Example.com', name: 'Anna Berg', role: 'csm', ...data },
    metadata: { now },
  });
  const registered: UserRegistered = {
    type: 'UserRegistered',
    data: { userId: 'u-anna', email: 'anna@example.com', name: 'Anna Berg', role: 'csm', registeredAt: now },
  };

  it('registers a user with a lower-cased email', () => {
    spec.given([]).when(register()).then([registered]);
  });

  it('refuses an id that is taken', () => {
    spec
      .given([registered])
      .when(register({ email: 'other@example.com' }))
      .thenThrows(DomainError, {
        code: 'ALREADY_EXISTS',
        message: 'A user with id u-anna already exists (anna@example.com); register the new user with another id',
      });
  });

  it.each([
    [{ role: 'owner' }, 'role must be one of admin, csm, viewer; got "owner"'],
    [{ email: 'anna' }, 'email must be an email address like anna@example.com; got "anna"'],
    [{ name: '' }, 'name is required and must not be blank'],
  ] as unknown as Array<[Partial<RegisterUser['data']>, string]>)('refuses %j', (data, message) => {
    spec.given([]).when(register(data)).thenThrows(DomainError, { code: 'VALIDATION', message });
  });
});

describe('user decider: role changes', () => {
  const spec = DeciderSpecification.for(userDecider);
  const registered: UserRegistered = {
    type: 'UserRegistered',
    data: { userId: 'u-anna', email: 'anna@example.com', name: 'Anna Berg', role: 'csm', registeredAt: now },
  };
  const changeRole = (role: unknown, userId = 'u-anna'): ChangeUserRole => ({ type: 'ChangeUserRole', data: { userId, role }, metadata: { now } });

  it('records the old and the new role', () => {
    const changed: UserRoleChanged = { type: 'UserRoleChanged', data: { userId: 'u-anna', from: 'csm', to: 'admin', changedAt: now } };
    spec.given([registered]).when(changeRole('admin')).then([changed]);
  });

  it('changes nothing when the user has the role already', () => {
    spec.given([registered]).when(changeRole('csm')).thenNothingHappened();
  });

  it('follows earlier changes', () => {
    const promoted: UserRoleChanged = { type: 'UserRoleChanged', data: { userId: 'u-anna', from: 'csm', to: 'admin', changedAt: now } };
    spec.given([registered, promoted]).when(changeRole('admin')).thenNothingHappened();
  });

  it('refuses an unknown role, naming the allowed ones', () => {
    spec.given([registered]).when(changeRole('owner')).thenThrows(DomainError, { code: 'VALIDATION', message: 'role must be one of admin, csm, viewer; got "owner"' });
  });

  it('refuses a user that does not exist', () => {
    spec
      .given([])
      .when(changeRole('viewer', 'u-nobody'))
      .thenThrows(DomainError, { code: 'NOT_FOUND', field: 'user_id', message: 'There is no user with id u-nobody; list the users to find their ids' });
  });
});

describe('email reservation decider', () => {
  const spec = DeciderSpecification.for(emailReservationDecider);
  const reserve = (userId = 'u-anna'): ReserveUserEmail => ({
    type: 'ReserveUserEmail',
    data: { email: 'Anna@Example.com', userId },
    metadata: { now },
  });
  const reserved: UserEmailReserved = { type: 'UserEmailReserved', data: { email: 'anna@example.com', userId: 'u-anna', reservedAt: now } };

  it('reserves a free email', () => {
    spec.given([]).when(reserve()).then([reserved]);
  });

  it('lets the same user complete a registration that stopped after reserving', () => {
    spec.given([reserved]).when(reserve()).thenNothingHappened();
  });

  it('refuses an email reserved by another user', () => {
    spec
      .given([reserved])
      .when(reserve('u-other'))
      .thenThrows(DomainError, {
        code: 'ALREADY_EXISTS',
        field: 'email',
        message: 'A user with email anna@example.com already exists; each email address may belong to one user only',
      });
  });

  it('names the reservation stream by the lower-cased email', () => {
    expect(userEmailStream(' Anna@Example.COM ')).toBe('user-email-anna@example.com');
  });
});

describe('user decider: teams', () => {
  const spec = DeciderSpecification.for(userDecider);
  const registered: UserRegistered = {
    type: 'UserRegistered',
    data: { userId: 'u-anna', email: 'anna@example.com', name: 'Anna Berg', role: 'csm', registeredAt: now },
  };
  const setTeam = (team: unknown, userId = 'u-anna'): ChangeUserTeam => ({ type: 'ChangeUserTeam', data: { userId, team }, metadata: { now } });
  const moved = (from: string | null, to: string | null): UserTeamChanged => ({ type: 'UserTeamChanged', data: { userId: 'u-anna', from, to, changedAt: now } });

  it('puts a user in a team, the name trimmed and its inner spaces made one', () => {
    spec.given([registered]).when(setTeam('  North   America ')).then([moved(null, 'North America')]);
  });

  it('moves a user to another team, naming both', () => {
    spec.given([registered, moved(null, 'North')]).when(setTeam('South')).then([moved('North', 'South')]);
  });

  it('takes a user out of their team with null', () => {
    spec.given([registered, moved(null, 'North')]).when(setTeam(null)).then([moved('North', null)]);
  });

  it('writes nothing for the team the user is in already, however it is spelled', () => {
    spec.given([registered, moved(null, 'North')]).when(setTeam('north')).thenNothingHappened();
    spec.given([registered, moved(null, 'North America')]).when(setTeam('NORTH  america')).thenNothingHappened();
    spec.given([registered]).when(setTeam(null)).thenNothingHappened();
  });

  it.each([
    ['', 'team must not be blank: give a team name, or none to leave the team'],
    ['   ', 'team must not be blank: give a team name, or none to leave the team'],
    ['x'.repeat(65), 'team must be at most 64 characters; got 65'],
    ['North/East', 'team may contain only letters, digits, spaces, - and _; got "North/East"'],
    ['Team\u0007', 'team may contain only letters, digits, spaces, - and _; got "Team\\u0007"'],
    [42, 'team must be a team name or null (no team); got 42'],
  ])('refuses the team %j, saying what is allowed', (team, message) => {
    spec.given([registered]).when(setTeam(team)).thenThrows(DomainError, { code: 'VALIDATION', field: 'team', message });
  });

  it('accepts letters of any alphabet, digits, - and _ up to 64 characters', () => {
    spec.given([registered]).when(setTeam('Nordic Øst-2_b')).then([moved(null, 'Nordic Øst-2_b')]);
    spec.given([registered]).when(setTeam('x'.repeat(64))).then([moved(null, 'x'.repeat(64))]);
  });

  it('refuses a user that does not exist', () => {
    spec
      .given([])
      .when(setTeam('North', 'u-nobody'))
      .thenThrows(DomainError, { code: 'NOT_FOUND', field: 'user_id', message: 'There is no user with id u-nobody; list the users to find their ids' });
  });
});

describe('team decider: a team stream lists its members', () => {
  const spec = DeciderSpecification.for(teamDecider);
  const join = (userId: string, team = 'North'): JoinTeam => ({ type: 'JoinTeam', data: { team, userId }, metadata: { now } });
  const leave = (userId: string, team = 'North'): LeaveTeam => ({ type: 'LeaveTeam', data: { team, userId }, metadata: { now } });
  const joined = (userId: string): TeamMemberJoined => ({ type: 'TeamMemberJoined', data: { team: 'North', userId, joinedAt: now } });
  const left = (userId: string): TeamMemberLeft => ({ type: 'TeamMemberLeft', data: { team: 'North', userId, leftAt: now } });

  it('adds a member once', () => {
    spec.given([joined('u-anna')]).when(join('u-bob')).then([joined('u-bob')]);
    spec.given([joined('u-anna')]).when(join('u-anna')).thenNothingHappened();
  });

  it('removes a member, and writes nothing for someone who is not one', () => {
    spec.given([joined('u-anna'), joined('u-bob')]).when(leave('u-anna')).then([left('u-anna')]);
    spec.given([joined('u-anna'), left('u-anna')]).when(leave('u-anna')).thenNothingHappened();
  });

  it('folds joins and leaves into the member list, in the order they joined', () => {
    const state = [joined('u-anna'), joined('u-bob'), left('u-anna'), joined('u-cid'), joined('u-anna')].reduce(teamDecider.evolve, teamDecider.initialState());
    expect(state.members).toEqual(['u-bob', 'u-cid', 'u-anna']);
  });

  it('names one stream per team, whatever the spelling', () => {
    expect(teamStream(' North   America ')).toBe('team-north america');
    expect(teamStream('NORTH AMERICA')).toBe(teamStream('north america'));
    expect(sameTeam('North', 'north')).toBe(true);
    expect(sameTeam('North', null)).toBe(false);
    expect(teamName('team', undefined)).toBeNull();
  });
});
