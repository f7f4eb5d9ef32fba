import { Controller, Get, Param, Patch, Post, Query, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { UserAccountsService, type UserAccount } from '../../users/user-accounts.service';
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
} as const satisfies FieldSpec;
/** PATCH /users/{id}: the role (admin, csm or viewer). */
const UPDATE = { role: { kind: 'string', required: true } } as const satisfies FieldSpec;

interface UserJson {
  readonly user_id: string;
  readonly email: string;
  readonly name: string;
  readonly role: string;
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
      { email: body.email, name: body.name, role: body.role, password: body.password ?? null },
      adminContextOf(req, 'POST /admin/api/users'),
    );
    return { user_id: registered.userId, email: registered.email, name: registered.name, role: registered.role, password_set: registered.passwordSet };
  }

  /** The role; the same role again changes nothing (changed: false). An admin cannot change their own. */
  @Patch(':userId')
  async update(@Req() req: Request, @Param('userId') userId: string) {
    const body = fieldsOf(await readAdminJsonBody(req), UPDATE);
    const result = await this.users.changeRole(userId, body.role, adminContextOf(req, 'PATCH /admin/api/users/{user_id}'));
    return { user_id: result.userId, email: result.email, role: result.role, previous_role: result.from, changed: result.changed };
  }
}

function userJson(u: UserAccount): UserJson {
  return { user_id: u.userId, email: u.email, name: u.name, role: u.role, registered_at: u.registeredAt, has_password: u.hasPassword };
}
