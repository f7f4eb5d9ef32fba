import { randomUUID } from 'node:crypto';
import type { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { Position } from '@csmcp/event-store';
import { viewerOf, writeCallerOf, type Principal } from '../../../auth/principal';
import type { WriteContext } from '../../../customer-success/write/write-context';
import { CS_TOOLS } from '../index';
import type { ToolContext, ToolDefinition, ToolOutput } from '../tool-definition';

/** A principal for tests: Ann, a CSM with shared access through an OAuth integration, unless overridden. */
export function testPrincipal(overrides: Partial<Principal> = {}): Principal {
  return {
    userId: 'u-ann',
    email: 'ann@example.com',
    name: 'Ann',
    role: 'csm',
    scopes: ['cs:read', 'cs:write'],
    accessContext: 'shared',
    tokenId: `tok-${randomUUID()}`,
    tokenKind: 'oauth_access_token',
    integrationId: 'claude',
    integrationName: 'Claude',
    expiresAt: null,
    ...overrides,
  };
}

export interface ProgressReport {
  readonly progress: number;
  readonly total?: number;
  readonly message?: string;
}

/**
 * What the MCP server does around a tool call, minus the transport: a ToolContext from a
 * Principal, and the session's last write position, so later reads see earlier writes.
 */
export class ToolSession {
  /** The position of this session's last write. */
  after: Position | undefined;
  readonly progress: ProgressReport[] = [];
  private requestId = 0;
  readonly sessionId = `session-${randomUUID()}`;

  constructor(
    private readonly buses: { readonly commands: CommandBus; readonly queries: QueryBus },
    readonly principal: Principal,
  ) {}

  context(toolName: string, signal: AbortSignal = new AbortController().signal): ToolContext {
    const requestId = ++this.requestId;
    const caller = writeCallerOf(this.principal);
    return {
      principal: this.principal,
      viewer: viewerOf(this.principal),
      queries: this.buses.queries,
      commands: this.buses.commands,
      after: this.after,
      signal,
      writeContext: (idempotencyKey: string | null): WriteContext => ({
        caller,
        request: { toolName, mcpSessionId: this.sessionId, mcpRequestId: requestId, correlationId: randomUUID(), sourceIp: '127.0.0.1', idempotencyKey },
      }),
      progress: async (progress: number, total?: number, message?: string) => {
        this.progress.push({ progress, ...(total !== undefined ? { total } : {}), ...(message !== undefined ? { message } : {}) });
      },
    };
  }

  /** Calls a tool as the server would: scope checked, then run; a write's position becomes `after`. */
  async call(name: string, args: Record<string, unknown> = {}): Promise<ToolOutput> {
    const tool = toolNamed(name);
    if (!this.principal.scopes.includes(tool.scope)) throw new Error(`${name} needs scope ${tool.scope}`);
    const output = await tool.run(args, this.context(name));
    if (output.position) this.after = output.position;
    return output;
  }

  async describe(name: string, args: Record<string, unknown>): Promise<string> {
    const tool = toolNamed(name);
    if (!tool.describeChange) throw new Error(`${name} has no describeChange`);
    return tool.describeChange(args, this.context(name));
  }
}

export function toolNamed(name: string): ToolDefinition {
  const tool = CS_TOOLS.find((t) => t.name === name);
  if (!tool) throw new Error(`No tool ${name}`);
  return tool;
}
