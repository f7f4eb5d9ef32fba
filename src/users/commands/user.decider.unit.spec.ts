import { DeciderSpecification } from '@csmcp/testing';
import { DomainError } from '../../customer-success/shared/domain-error';
import type { UserRegistered, UserRoleChanged } from '../user.events';
import {
  emailReservationDecider,
  userDecider,
  userEmailStream,
  type ChangeUserRole,
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
