import { Controller, Get, Param, Patch, Post, Query, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { teamName } from '../../users/team';
import { UserAccountsService, type UserAccount } from '../../users/user-accounts.service';
import { AdminApiError } from '../http/admin-api-error';
import { adminContextOf } from '../http/admin-caller';
import { AdminErrorFilter } from '../http/admin-error.filter';
import { fieldsOf, type FieldSpec } from '../http/fields';
import { readAdminJsonBody } from '../http/json-body';
import { pageOf, pageRequest, type Page } from '../http/pagination';

/** POST /users: as `csmcp users add`; without a password the user cannot sign in on csmcp's page yet. */
const CREATE = {
  email: { kind: 'string', required: true },
  name: { kind: 'string', required: true },
  role: { kind: 'string', required: true },
  password: { kind: 'string' },
  team: { kind: 'string|null' },
} as const satisfies FieldSpec;
/** PATCH /users/{id}: the role (admin, csm or viewer), the team (a name, or null for none), or both. */
const UPDATE = { role: { kind: 'string' }, team: { kind: 'string|null' } } as const satisfies FieldSpec;

interface UserJson {
  readonly user_id: string;
  readonly email: string;
  readonly name: string;
  readonly role: string;
  readonly team: string | null;
  readonly registered_at: string;
  readonly has_password: boolean;
}

/** Users and their roles, through UserAccountsService (as `csmcp users`). Passwords go in, never out. */
@Controller('admin/api/users')
@UseFilters(AdminErrorFilter)
export class AdminUsersController {
  constructor(private readonly users: UserAccountsService) {}

  /** By email. */
  @Get()
  async list(@Query() query: Record<string, unknown>): Promise<Page<UserJson>> {
    const page = pageRequest(query, 'users');
    return pageOf(await this.users.list(), (u) => [u.email, u.userId], page, 'users', userJson);
  }

  @Post()
  async create(@Req() req: Request) {
    const body = fieldsOf(await readAdminJsonBody(req), CREATE);
    const registered = await this.users.register(
      { email: body.email, name: body.name, role: body.role, password: body.password ?? null, team: body.team },
      adminContextOf(req, 'POST /admin/api/users'),
    );
    return {
      user_id: registered.userId,
      email: registered.email,
      name: registered.name,
      role: registered.role,
      team: registered.team,
      password_set: registered.passwordSet,
    };
  }

  /**
   * The role, the team, or both; the answer names what was asked about (role and previous_role, team
   * and previous_team). The same value again changes nothing (changed: false). An admin cannot change
   * their own role.
   */
  @Patch(':userId')
  async update(@Req() req: Request, @Param('userId') userId: string) {
    const body = fieldsOf(await readAdminJsonBody(req), UPDATE);
    if (body.role === undefined && body.team === undefined)
      throw new AdminApiError(400, 'VALIDATION', 'Give role (admin, csm or viewer), team (a team name, or null for none), or both', { field: null, allowed: Object.keys(UPDATE) });
    // Checked before the role changes, so a bad team name changes nothing.
    if (body.team !== undefined) teamName('team', body.team);
    const context = adminContextOf(req, 'PATCH /admin/api/users/{user_id}');
    const role = body.role !== undefined ? await this.users.changeRole(userId, body.role, context) : null;
    const team = body.team !== undefined ? await this.users.changeTeam(userId, body.team, context) : null;
    const user = (role ?? team)!;
    return {
      user_id: user.userId,
      email: user.email,
      ...(role ? { role: role.role, previous_role: role.from } : {}),
      ...(team ? { team: team.team, previous_team: team.from } : {}),
      changed: (role?.changed ?? false) || (team?.changed ?? false),
    };
  }
}

function userJson(u: UserAccount): UserJson {
  return { user_id: u.userId, email: u.email, name: u.name, role: u.role, team: u.team, registered_at: u.registeredAt, has_password: u.hasPassword };
}
