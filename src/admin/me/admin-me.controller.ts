import { Controller, Get, Query, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { adminOf } from '../http/admin-caller';
import { AdminErrorFilter } from '../http/admin-error.filter';
import { queryParams } from '../http/query-params';

export interface MeJson {
  readonly user_id: string;
  readonly email: string | null;
  readonly name: string;
  readonly role: string;
  /** The scopes this token holds now (the admin scope follows the role at every verification). */
  readonly scopes: readonly string[];
  readonly token: {
    readonly kind: 'personal_access_token' | 'oauth_access_token';
    /** The integration (OAuth client) it was issued to; null for a personal access token. */
    readonly integration_id: string | null;
    readonly integration_name: string | null;
    /** When it expires (ISO 8601), or null for a token that does not. */
    readonly expires_at: string | null;
  };
}

/**
 * The signed-in admin, as the token was verified for this request (the same check as every admin API
 * call): who, the role, and what the token may do. The console shows it in its header.
 */
@Controller('admin/api/me')
@UseFilters(AdminErrorFilter)
export class AdminMeController {
  @Get()
  me(@Req() req: Request, @Query() query: Record<string, unknown>): MeJson {
    queryParams(query, []);
    const me = adminOf(req);
    return {
      user_id: me.userId,
      email: me.email,
      name: me.name,
      role: me.role,
      scopes: [...me.scopes],
      token: {
        kind: me.tokenKind,
        integration_id: me.integrationId,
        integration_name: me.integrationName,
        expires_at: me.expiresAt === null ? null : new Date(me.expiresAt * 1000).toISOString(),
      },
    };
  }
}
