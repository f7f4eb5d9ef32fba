import type { ToolContext } from '../tool-definition';

/** An admin tool called by a token whose user is not an admin (the admin scope alone is not enough). */
export class AdminOnlyError extends Error {
  readonly code = 'FORBIDDEN' as const;
  constructor(tool: string, role: string) {
    super(`${tool} is for admins, and your user is a ${role}; ask an admin (or use csmcp audit / csmcp usage on the server)`);
    this.name = 'AdminOnlyError';
  }
}

/** Admin tools need the admin scope (the server checks it) and an admin user behind the token. */
export function requireAdmin(context: ToolContext, tool: string): void {
  if (context.principal.role !== 'admin') throw new AdminOnlyError(tool, context.principal.role);
}
