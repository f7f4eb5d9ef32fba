import type { Request } from 'express';
import { principalOf } from '../../auth/http/bearer-auth.middleware';
import type { AuditActor } from '../../audit/domain/audit-entry';
import type { Principal } from '../../auth/principal';
import type { AdminContext } from '../../customer-success/companies/commands/admin-context';

/** The admin a request was authenticated as (AdminAuthMiddleware let it through, so there is one). */
export function adminOf(req: Request): Principal {
  const principal = principalOf(req);
  if (!principal || principal.role !== 'admin') throw new Error('an admin API route was reached without AdminAuthMiddleware');
  return principal;
}

/**
 * Who every event of this request is attributed to: the admin (actor in the metadata, and in the
 * events that name their author), the API call as the tool, the request id as the correlation id.
 */
export function adminContextOf(req: Request, call: string): AdminContext {
  const admin = adminOf(req);
  const requestId = (req as Request & { id?: unknown }).id;
  return {
    actor: { type: 'user', id: admin.userId, email: admin.email ?? '' },
    toolName: `admin-api ${call}`,
    ...(typeof requestId === 'string' && requestId !== '' ? { correlationId: requestId } : {}),
  };
}

/** The admin, as the audit log records who did something (a grant, a limit, a revert). */
export function auditActorOf(req: Request): AuditActor {
  const admin = adminOf(req);
  return { type: 'user', id: admin.userId, email: admin.email ?? null };
}
