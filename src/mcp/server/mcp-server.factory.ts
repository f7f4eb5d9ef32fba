import { randomUUID } from 'node:crypto';
import type { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { Position } from '@csmcp/event-store';
import type { AuditLog } from '../../audit/audit-log';
import type { BriefRunner } from '../../connectors/briefs/brief-runner';
import { priceOf } from '../../audit/domain/ledger';
import { ToolCallRecording, type CallOrigin, type CallResult } from '../../audit/tool-call-recording';
import { hasScope, viewerOf, writeCallerOf, type Principal } from '../../auth/principal';
import { enabledWriteTools, needsConfirmation, type PolicyConfig } from '../../governance/write-policy';
import { completePromptArgument, completeResourceArgument } from '../completion';
import { getPrompt, listPrompts } from '../prompts';
import { listResources, listResourceTemplates, McpRequestError, readResource } from '../resources';
import { CS_TOOLS, toToolError, type ToolContext, type ToolDefinition } from '../tools';
import { outcomeOfError } from '../tools/tool-errors';
import { confirmationToolError, CONFIRMATION_TOKEN_PROPERTY, type ConfirmationStore } from './confirmation';

export const SERVER_INFO = { name: 'csmcp', title: 'csmcp customer success', version: '0.1.0' } as const;

const INSTRUCTIONS = `csmcp holds this organisation's customer-success data: companies, CTAs (calls to action) and their tasks, success plans, timeline activities, scorecards.
- Find a company's id with search_companies; brief on one account with get_account_summary; answer cross-account questions (filter, group, rank the book of business) with analyze_accounts.
- Writes (create_/update_ tools) are checked by the organisation's write policy and recorded with your user and client. Pass an idempotency_key so a retry never writes twice.
- Company fields, scorecards and deletions cannot be changed through MCP.`;

export interface McpServerDeps {
  readonly queries: QueryBus;
  readonly commands: CommandBus;
  /** The write policy in force (which write tools a caller has, which need confirmation). */
  policyConfig(): Promise<PolicyConfig>;
  readonly confirmations: ConfirmationStore;
  /** Every tool call is recorded and charged here (see src/audit). */
  readonly audit: AuditLog;
  /** Brief sources (get_account_brief); absent where connectors are not wired (tests of other tools). */
  readonly briefs?: () => BriefRunner | null;
  /** Unexpected failures, for the server log (never sent to the client). */
  logError(error: unknown, context: Record<string, unknown>): void;
}

/** What the server knows of the session it serves (stateless requests have none). */
export interface McpSessionContext {
  readonly sessionId: string | null;
  /** The session's last acknowledged write. */
  lastWrite(): Position | undefined;
  recordWrite(position: Position): Promise<void>;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

// One validator for every server: building Ajv per stateless request costs more than the request.
const validator = new AjvJsonSchemaValidator();

/** The MCP server of one session (or one stateless request): every csmcp tool, resource and prompt. */
export function createMcpServer(deps: McpServerDeps, session: McpSessionContext): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: false }, resources: {}, prompts: {}, completions: {}, logging: {} },
    instructions: INSTRUCTIONS,
    jsonSchemaValidator: validator,
  });

  server.setRequestHandler(ListToolsRequestSchema, async (_request, extra) => {
    const principal = principalFrom(extra);
    const config = await deps.policyConfig();
    const prices = (await deps.audit.ledger()).prices;
    return {
      tools: visibleTools(principal, config).map((tool) => listing(tool, needsConfirmation(config, tool.name), priceOf(prices, tool.name, tool.kind))),
    };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const principal = principalFrom(extra);
    const tool = CS_TOOLS.find((t) => t.name === request.params.name);
    if (!tool) {
      const name = String(request.params.name).slice(0, 100);
      const message = `Unknown tool: ${name}; the tools are ${CS_TOOLS.map((t) => t.name).join(', ')}`;
      const recording = new ToolCallRecording(originOf(principal, session, extra), name, 'read', request.params.arguments ?? {}, 0);
      await recordQuietly(deps, recording, { outcome: 'refused', code: 'UNKNOWN_TOOL', message });
      throw new McpRequestError(ErrorCode.InvalidParams, message);
    }
    if (!hasScope(principal, tool.scope)) {
      const refusal = {
        code: 'INSUFFICIENT_SCOPE',
        message: `${tool.name} needs the ${tool.scope} scope, which your access token does not have; reconnect granting ${tool.scope}`,
      };
      const recording = new ToolCallRecording(originOf(principal, session, extra), tool.name, tool.kind, request.params.arguments ?? {}, 0);
      return refused(deps, recording, { outcome: 'refused', ...refusal, subject: subjectOfArgs(request.params.arguments ?? {}) }, errorResult(refusal));
    }
    const args = { ...(request.params.arguments ?? {}) };
    const prices = (await deps.audit.ledger()).prices;
    const subject = subjectOfArgs(args);
    const recording = new ToolCallRecording(originOf(principal, session, extra), tool.name, tool.kind, args, priceOf(prices, tool.name, tool.kind), subject);
    const context = toolContext(deps, session, principal, tool.name, extra, recording, server);
    try {
      if (tool.kind === 'write') {
        const refusal = await confirm(server, deps, tool, args, context, extra.requestId);
        if (refusal) return await refused(deps, recording, { outcome: 'refused', code: refusal.code, message: String(refusal.message), subject }, errorResult(refusal));
      } else if (recording.price > 0) {
        // Reads are charged once they have an answer; one the credits cannot cover does not run.
        const short = await deps.audit.precheck({ at: recording.at, actor: recording.origin.actor, integrationId: recording.origin.integrationId, integrationName: recording.origin.integrationName, tool: tool.name, credits: recording.price });
        if (short) return await refused(deps, recording, { outcome: 'refused', code: short.code, message: short.message, subject }, errorResult(short));
      }
      const output = await tool.run(args, context);
      if (!recording.recorded) {
        // Writes are recorded by the write pipeline with their events; everything else here.
        const [entry] = await deps.audit.record({ type: 'ToolCallRecorded', body: recording.body({ outcome: 'ok', credits: recording.price, subject }) });
        recording.markRecorded();
        if (entry.type === 'ToolCallRecorded' && entry.body.outcome === 'refused')
          return errorResult({ code: entry.body.code ?? 'INSUFFICIENT_CREDITS', message: entry.body.message ?? 'The credits could not cover this call' });
      }
      if (output.position) await session.recordWrite(output.position);
      return { content: [{ type: 'text', text: output.text }], structuredContent: output.structured };
    } catch (error) {
      const known = toToolError(error);
      if (known) return await refused(deps, recording, { outcome: outcomeOfError(known.code), code: known.code, message: known.message, subject }, errorResult(known));
      const incident = randomUUID();
      deps.logError(error, { incident, tool: tool.name, userId: principal.userId, sessionId: session.sessionId });
      return await refused(
        deps,
        recording,
        { outcome: 'failed', code: 'INTERNAL', message: `incident ${incident}`, subject },
        errorResult({ code: 'INTERNAL', message: `The call failed on the server (incident ${incident}); nothing was left half-written. Try again, or report the incident id` }),
      );
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async (request, extra) =>
    mcpErrors(deps, () => listResources(readContext(deps, principalFrom(extra), session, extra), request.params?.cursor)),
  );
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: listResourceTemplates() }));
  // Resources and prompts read account data too: recorded (who looked at which account), not charged.
  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) =>
    recordedRead(deps, 'resources/read', { uri: request.params.uri }, principalFrom(extra), session, extra, () =>
      mcpErrors(deps, () => readResource(request.params.uri, readContext(deps, principalFrom(extra), session, extra))),
    ),
  );
  server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: listPrompts() }));
  server.setRequestHandler(GetPromptRequestSchema, async (request, extra) =>
    recordedRead(deps, 'prompts/get', { name: request.params.name, arguments: request.params.arguments ?? {} }, principalFrom(extra), session, extra, () =>
      mcpErrors(deps, () => getPrompt(request.params.name, request.params.arguments, readContext(deps, principalFrom(extra), session, extra))),
    ),
  );
  server.setRequestHandler(CompleteRequestSchema, async (request, extra) =>
    mcpErrors(deps, async () => {
      const context = readContext(deps, principalFrom(extra), session, extra);
      const { ref, argument } = request.params;
      const resolved = request.params.context?.arguments;
      const completion =
        ref.type === 'ref/resource'
          ? await completeResourceArgument(ref.uri, argument.name, argument.value, context, resolved)
          : await completePromptArgument(ref.name, argument.name, argument.value, context, resolved);
      return { completion };
    }),
  );
  return server;
}

/** The tools a caller is offered: reads with cs:read; the writes the policy allows them, with cs:write. */
export function visibleTools(principal: Principal, config: PolicyConfig): ToolDefinition[] {
  const writes = new Set<string>(hasScope(principal, 'cs:write') ? enabledWriteTools(config, writeCallerOf(principal)) : []);
  return CS_TOOLS.filter((tool) => (tool.kind === 'write' ? writes.has(tool.name) : hasScope(principal, tool.scope)));
}

function listing(tool: ToolDefinition, confirmation: boolean, price: number): Tool {
  const inputSchema = confirmation
    ? { ...tool.inputSchema, properties: { ...tool.inputSchema.properties, ...CONFIRMATION_TOKEN_PROPERTY } }
    : tool.inputSchema;
  // The price in force now (csmcp credits prices), so an LLM can weigh a call before making it.
  const cost =
    price === 0
      ? 'Cost: free (no credits).'
      : `Cost: ${price} credit${price === 1 ? '' : 's'} per call; refused and failed calls${tool.kind === 'write' ? ' and idempotent retries' : ''} cost nothing (see get_credit_balance).`;
  return {
    name: tool.name,
    title: tool.title,
    description: `${tool.description}\n\n${cost}${
      confirmation
        ? '\n\nThis organisation asks users to confirm this change before it is written: the first call returns a preview and a confirmation_token (or the user is asked directly); repeat the call with the same arguments plus confirmation_token to write it.'
        : ''
    }`,
    inputSchema: inputSchema as Tool['inputSchema'],
    outputSchema: tool.outputSchema as Tool['outputSchema'],
    annotations: { ...tool.annotations, title: tool.title },
  };
}

/**
 * Asks for the user's confirmation where the policy wants it: by elicitation when the client offers
 * it, else by returning a preview and a single-use token bound to these exact arguments. Null = go on.
 */
async function confirm(
  server: Server,
  deps: McpServerDeps,
  tool: ToolDefinition,
  args: Record<string, unknown>,
  context: ToolContext,
  requestId: string | number,
): Promise<{ code: string; message: string; [key: string]: unknown } | null> {
  const token = args.confirmation_token;
  delete args.confirmation_token;
  if (token !== undefined) {
    if (typeof token !== 'string') return { code: 'VALIDATION', message: 'confirmation_token must be the string a previous call returned' };
    const problem = await deps.confirmations.redeemConfirmation(token, context.principal.userId, tool.name, args);
    return problem ? { code: 'CONFIRMATION_INVALID', message: `Nothing was written: ${problem}` } : null;
  }
  if (!needsConfirmation(await deps.policyConfig(), tool.name)) return null;
  const change = (await tool.describeChange?.(args, context)) ?? `${tool.name} ${JSON.stringify(args)}`;
  if (server.getClientCapabilities()?.elicitation) {
    const answer = await server.elicitInput(
      {
        mode: 'form',
        message: `Confirm this change before csmcp writes it:\n${change}`,
        requestedSchema: {
          type: 'object',
          properties: { confirm: { type: 'boolean', title: 'Make this change', description: change } },
          required: ['confirm'],
        },
      },
      // On the tools/call's own stream: a client need not hold the standalone GET stream open.
      { signal: context.signal, relatedRequestId: requestId },
    );
    if (answer.action === 'accept' && answer.content?.confirm === true) return null;
    return { code: 'CONFIRMATION_DECLINED', message: `The user did not confirm the change; nothing was written. The change was: ${change}` };
  }
  return confirmationToolError(change, await deps.confirmations.issueConfirmation(context.principal.userId, tool.name, args));
}

/** A resource read or prompt: run, then recorded in the audit log with its outcome and no charge. */
async function recordedRead<T>(
  deps: McpServerDeps,
  method: string,
  args: Record<string, unknown>,
  principal: Principal,
  session: McpSessionContext,
  extra: Extra,
  work: () => Promise<T>,
): Promise<T> {
  const recording = new ToolCallRecording(originOf(principal, session, extra), method, 'read', args, 0);
  const subject = subjectOfUri(args.uri) ?? subjectOfArgs((args.arguments ?? {}) as Record<string, unknown>);
  try {
    const result = await work();
    await deps.audit.record({ type: 'ToolCallRecorded', body: recording.body({ outcome: 'ok', subject }) });
    return result;
  } catch (error) {
    const code = error instanceof McpRequestError ? String((error.data as { code?: string } | undefined)?.code ?? error.code) : 'INTERNAL';
    await recordQuietly(deps, recording, { outcome: outcomeOfError(code), code, message: error instanceof Error ? error.message : null, subject });
    throw error;
  }
}

/** csmcp://companies/{id}/..., csmcp://ctas/{id}, csmcp://success-plans/{id}: the record a resource is about. */
function subjectOfUri(uri: unknown): CallResult['subject'] {
  if (typeof uri !== 'string') return null;
  const match = /^csmcp:\/\/(companies|ctas|success-plans)\/([^/?#]{1,200})/.exec(uri);
  if (!match) return null;
  const type = { companies: 'company', ctas: 'cta', 'success-plans': 'success_plan' }[match[1] as 'companies' | 'ctas' | 'success-plans'];
  return { type, id: decodeURIComponent(match[2]) };
}

/**
 * Records a call that ended without a charge (refused, failed) unless the write pipeline already did,
 * then answers. If even the record cannot be written (the store is down), the caller still gets the
 * refusal: nothing was done or charged.
 */
async function refused(deps: McpServerDeps, recording: ToolCallRecording, result: CallResult, answer: CallToolResult): Promise<CallToolResult> {
  await recordQuietly(deps, recording, result);
  return answer;
}

async function recordQuietly(deps: McpServerDeps, recording: ToolCallRecording, result: CallResult): Promise<void> {
  if (recording.recorded) return;
  try {
    await deps.audit.record({ type: 'ToolCallRecorded', body: recording.body(result) });
    recording.markRecorded();
  } catch (error) {
    deps.logError(error, { tool: recording.tool, msg: 'could not record a refused call in the audit log' });
  }
}

function originOf(principal: Principal, session: McpSessionContext, extra: Extra): CallOrigin {
  const caller = writeCallerOf(principal);
  return {
    actor: caller.actor === 'client' ? { type: 'client', id: caller.userId, email: null } : { type: 'user', id: principal.userId, email: principal.email },
    integrationId: principal.integrationId,
    integrationName: principal.integrationName,
    accessContext: principal.accessContext,
    sessionId: session.sessionId,
    requestId: extra.requestId === undefined ? null : String(extra.requestId),
    sourceIp: sourceIpOf(extra),
  };
}

/** The record a call is about, from its arguments: the most specific id it names. */
const SUBJECT_ARGUMENTS: ReadonlyArray<readonly [string, string]> = [
  ['activity_id', 'timeline_activity'],
  ['task_id', 'cta_task'],
  ['cta_id', 'cta'],
  ['success_plan_id', 'success_plan'],
  ['relationship_id', 'relationship'],
  ['company_id', 'company'],
];

function subjectOfArgs(args: Record<string, unknown>): CallResult['subject'] {
  for (const [name, type] of SUBJECT_ARGUMENTS) {
    const id = args[name];
    if (typeof id === 'string' && id.length > 0 && id.length <= 200) return { type, id };
  }
  return null;
}

function toolContext(
  deps: McpServerDeps,
  session: McpSessionContext,
  principal: Principal,
  toolName: string,
  extra: Extra,
  recording: ToolCallRecording,
  server: Server,
): ToolContext {
  const caller = writeCallerOf(principal);
  const progressToken = extra._meta?.progressToken;
  const briefs = deps.briefs?.() ?? null;
  return {
    // External calls for this MCP call's user, recorded with its origin (user, integration, session).
    briefSources: briefs ? (company) => briefs.run(company, { user: { userId: principal.userId, email: principal.email ?? principal.userId }, origin: recording.origin }) : undefined,
    sample: server.getClientCapabilities()?.sampling
      ? async (prompt, maxTokens) => {
          const reply = await server.createMessage(
            { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens },
            { signal: extra.signal, relatedRequestId: extra.requestId },
          );
          return reply.content.type === 'text' ? reply.content.text : '';
        }
      : undefined,
    ...readContext(deps, principal, session, extra),
    commands: deps.commands,
    writeContext: (idempotencyKey) => ({
      caller,
      request: {
        toolName,
        mcpSessionId: session.sessionId,
        mcpRequestId: extra.requestId,
        correlationId: randomUUID(),
        sourceIp: sourceIpOf(extra),
        idempotencyKey,
        recording,
      },
    }),
    progress: async (progress, total, message) => {
      if (progressToken === undefined) return;
      await extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken, progress, ...(total !== undefined ? { total } : {}), ...(message !== undefined ? { message } : {}) },
      });
    },
  };
}

function readContext(deps: McpServerDeps, principal: Principal, session: McpSessionContext, extra: Extra) {
  return { principal, viewer: viewerOf(principal), queries: deps.queries, after: session.lastWrite(), signal: extra.signal };
}

function principalFrom(extra: Extra): Principal {
  const principal = extra.authInfo?.extra?.principal as Principal | undefined;
  // The HTTP layer authenticates every request before it reaches the server; this is a wiring bug.
  if (!principal) throw new McpRequestError(ErrorCode.InternalError, 'The request was not authenticated');
  return principal;
}

/** The HTTP layer puts the client's address beside the principal (see mcp-http.ts). */
function sourceIpOf(extra: Extra): string | null {
  const ip = extra.authInfo?.extra?.sourceIp;
  return typeof ip === 'string' ? ip : null;
}

/**
 * A refused or failed call: the code and message in the text (what an LLM reads) and, whole, in _meta.
 * Not in structuredContent: SDK clients check it against the tool's output schema even on errors.
 */
export const ERROR_META_KEY = 'csmcp/error';

function errorResult(error: { code: string; message: string } & object): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `${error.code}: ${error.message}` }], _meta: { [ERROR_META_KEY]: error } };
}

/**
 * Resource, prompt and completion refusals are JSON-RPC errors with their codes; never a stack trace.
 * (McpRequestError, not the SDK's McpError, whose message carries an "MCP error -32602:" prefix that
 * clients then add a second time.)
 */
async function mcpErrors<T>(deps: McpServerDeps, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof McpRequestError) throw error;
    const known = toToolError(error);
    if (known) throw new McpRequestError(known.code === 'NOT_FOUND' ? -32002 : ErrorCode.InvalidParams, known.message, { code: known.code });
    const incident = randomUUID();
    deps.logError(error, { incident });
    throw new McpRequestError(ErrorCode.InternalError, `The request failed on the server (incident ${incident})`);
  }
}
