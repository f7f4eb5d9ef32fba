import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AuditLog } from '../../audit/audit-log';
import { connectorCallTool, connectorPriceOf } from '../../audit/domain/ledger';
import { ToolCallRecording, type CallOrigin, type CallResult } from '../../audit/tool-call-recording';
import type { ConnectorClient, ConnectorUser } from '../client/connector-client';
import { ConnectorError } from '../registry/connector-error';
import type { ConnectorRegistry } from '../registry/connector.service';
import type { BriefSource, BriefSources } from './brief-sources';
import { renderTemplate, type TemplateCompany } from './brief-template';

/** One source's section of a brief: its result, or why there is none. */
export interface SourceSection {
  readonly id: string;
  readonly label: string;
  readonly connector: string;
  readonly tool: string;
  readonly status: 'ok' | 'error';
  /** The tool's text content (bounded), and its structured content when it gave one. */
  readonly text: string | null;
  readonly structured: Record<string, unknown> | null;
  readonly error: { readonly code: string; readonly message: string; readonly hint: string | null } | null;
  readonly durationMs: number;
  readonly credits: number;
}

/** Who a brief is for: the csmcp user (their grant on user-specific connectors) and the MCP call's origin (the audit). */
export interface BriefCaller {
  readonly user: ConnectorUser;
  readonly origin: CallOrigin;
}

const MAX_SECTION_TEXT = 4_000;

/**
 * Calls every brief source for one company, in parallel, each within its own timeout. Each call is
 * an audit entry of its own (tool connector:<name>/<tool>, the MCP call's user and integration),
 * checked against the credits before it is made and charged only when it answers. A source that
 * fails is a section with its code and message, never a failed brief.
 */
export class BriefRunner {
  constructor(
    private readonly sources: BriefSources,
    private readonly registry: ConnectorRegistry,
    private readonly client: ConnectorClient,
    private readonly audit: AuditLog,
  ) {}

  async run(company: TemplateCompany, caller: BriefCaller): Promise<SourceSection[]> {
    const sources = await this.sources.list();
    return Promise.all(sources.map((source) => this.section(source, company, caller)));
  }

  private async section(source: BriefSource, company: TemplateCompany, caller: BriefCaller): Promise<SourceSection> {
    const started = performance.now();
    const args = renderTemplate(source.args, company);
    const tool = connectorCallTool(source.connector, source.tool);
    const price = connectorPriceOf((await this.audit.ledger()).prices, source.connector, source.tool);
    const subject = { type: 'company', id: String(company.id) };
    // company_id beside the arguments sent: the audit finds the call by account like csmcp's own.
    const recording = new ToolCallRecording(caller.origin, tool, 'read', { company_id: company.id, source: source.label, arguments: args }, price, subject);
    const done = (fields: Pick<SourceSection, 'status' | 'text' | 'structured' | 'error'>, credits: number): SourceSection => ({
      id: source.id,
      label: source.label,
      connector: source.connector,
      tool: source.tool,
      ...fields,
      durationMs: Math.round(performance.now() - started),
      credits,
    });
    const fail = async (code: string, message: string, hint: string | null, outcome: CallResult['outcome']): Promise<SourceSection> => {
      await this.audit.record({ type: 'ToolCallRecorded', body: recording.body({ outcome, code, message, subject }) });
      return done({ status: 'error', text: null, structured: null, error: { code, message, hint } }, 0);
    };

    if (price > 0) {
      const short = await this.audit.precheck({ at: recording.at, actor: caller.origin.actor, integrationId: caller.origin.integrationId, integrationName: caller.origin.integrationName, tool, credits: price });
      if (short) return fail(short.code, short.message, null, 'refused');
    }
    let result: CallToolResult;
    let userSpecific = false;
    try {
      const connector = await this.registry.require(source.connector);
      userSpecific = connector.authorizationScope === 'user';
      result = await this.client.callTool(connector, caller.user, source.tool, args, { timeoutMs: source.timeoutMs });
    } catch (error) {
      if (!(error instanceof ConnectorError)) throw error;
      return fail(error.code, error.message, hintFor(error, source.connector, userSpecific, caller), error.category === 'CONNECTION' ? 'failed' : 'refused');
    }
    const text = textOf(result);
    const structured = result.structuredContent ?? null;
    if (result.isError) return fail('TOOL_ERROR', `${source.connector}'s ${source.tool} answered with an error: ${text ?? '(no text)'}`.slice(0, 2_000), null, 'failed');
    const [entry] = await this.audit.record({ type: 'ToolCallRecorded', body: recording.body({ outcome: 'ok', credits: price, subject }) });
    if (entry.type === 'ToolCallRecorded' && entry.body.outcome === 'refused')
      // The balance ran out while the call was on its way: not charged, and not shown.
      return done({ status: 'error', text: null, structured: null, error: { code: entry.body.code ?? 'INSUFFICIENT_CREDITS', message: entry.body.message ?? 'the credits could not cover this call', hint: null } }, 0);
    return done({ status: 'ok', text, structured, error: null }, price);
  }
}

/**
 * What the caller can do about it, when they can. On a user-specific connector the user authorises
 * their own account through the MCP tool authorize_connector, once the organisation has (an admin).
 */
function hintFor(error: ConnectorError, connector: string, userSpecific: boolean, caller: BriefCaller): string | null {
  if (error.code === 'NOT_AUTHORIZED' || error.code === 'NEEDS_REAUTHORIZATION') {
    const again = error.code === 'NEEDS_REAUTHORIZATION' ? 'again ' : '';
    if (!userSpecific || /organisation/.test(error.message)) return `an admin authorises it ${again}for the organisation: csmcp connectors authorize ${connector} (or the admin console)`;
    if (caller.origin.actor.type === 'client') return `${connector} answers with each user's own account: a machine client cannot use it (authorize_connector is for people)`;
    return `call authorize_connector with connector "${connector}" to authorise your own ${connector} account ${again}(it gives you a link to open), then ask for the brief again`;
  }
  if (error.code === 'FETCH_REFUSED') return `an admin can allow the host: csmcp connectors update ${connector} --allow-host HOST`;
  return null;
}

function textOf(result: CallToolResult): string | null {
  const texts = (result.content ?? []).filter((c): c is { type: 'text'; text: string } => c.type === 'text').map((c) => c.text);
  if (texts.length === 0) return null;
  const text = texts.join('\n');
  return text.length > MAX_SECTION_TEXT ? `${text.slice(0, MAX_SECTION_TEXT - 1)}…` : text;
}
