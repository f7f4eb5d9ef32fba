import type { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { Position } from '@csmcp/event-store';
import type { Principal, Scope } from '../../auth/principal';
import type { ViewerScope } from '../../customer-success/queries/shared/viewer';
import type { WriteContext } from '../../customer-success/write/write-context';
import type { SourceSection } from '../../connectors/briefs/brief-runner';
import type { TemplateCompany } from '../../connectors/briefs/brief-template';

/** A JSON Schema object as MCP's tools/list carries it (input and output schemas are `type: object`). */
export interface JsonSchemaObject {
  readonly type: 'object';
  readonly properties?: Record<string, unknown>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly [keyword: string]: unknown;
}

export interface ToolAnnotations {
  readonly title?: string;
  readonly readOnlyHint: boolean;
  readonly destructiveHint: boolean;
  readonly idempotentHint: boolean;
  readonly openWorldHint: boolean;
}

/** What a tool gets for one call: who calls, the buses, and the call's MCP context. */
export interface ToolContext {
  readonly principal: Principal;
  readonly viewer: ViewerScope;
  readonly queries: QueryBus;
  readonly commands: CommandBus;
  /** The write context for this call: caller from the token, tool name, session, request id, key. */
  writeContext(idempotencyKey: string | null): WriteContext;
  /** This session's last acknowledged write: reads pass it as `after` so they see that write. */
  readonly after: Position | undefined;
  /** Aborted when the client cancels the request or the connection goes away. */
  readonly signal: AbortSignal;
  /** Sends notifications/progress when the client asked for it (progressToken); otherwise a no-op. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** Calls every brief source for this company as this call's user (audited and charged per source); absent without connectors. */
  readonly briefSources?: (company: TemplateCompany) => Promise<SourceSection[]>;
  /** The client's model (sampling), when the client offers it: the reply's text. */
  readonly sample?: (prompt: string, maxTokens: number) => Promise<string>;
}

/** A tool's answer: `structured` must match the output schema; `text` is a short rendering for people. */
export interface ToolOutput {
  readonly structured: Record<string, unknown>;
  readonly text: string;
  /** Writes: the position of the events written (the session reads its writes after it). */
  readonly position?: Position;
}

/**
 * One MCP tool. `run` receives the raw arguments; validation happens in the query or command it
 * calls (one path, one set of messages). Errors it throws are domain/query/policy errors with stable
 * codes; the server turns them into `isError` results.
 */
export interface ToolDefinition {
  readonly name: string;
  readonly title: string;
  /** What it does, when to use it, what it returns, its limits: an LLM decides from this alone. */
  readonly description: string;
  readonly inputSchema: JsonSchemaObject;
  readonly outputSchema: JsonSchemaObject;
  readonly annotations: ToolAnnotations;
  /** The scope a token needs to call it. */
  readonly scope: Scope;
  /** read: 1 credit, analysis: 5, write: 2 (issue 6 meters them). */
  readonly kind: 'read' | 'analysis' | 'write';
  run(args: Record<string, unknown>, context: ToolContext): Promise<ToolOutput>;
  /** Writes: the change in words, shown to the user when the write policy asks for confirmation. */
  describeChange?(args: Record<string, unknown>, context: ToolContext): Promise<string>;
}
