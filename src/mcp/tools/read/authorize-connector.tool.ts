import { notAUser, type MyConnector } from '../../../connectors/self-service/my-connector';
import { AuthorizeMyConnectorCommand } from '../../../connectors/self-service/authorize-my-connector/authorize-my-connector.command';
import { ListMyConnectorsQuery } from '../../../connectors/self-service/list-my-connectors/list-my-connectors.query';
import { QueryError } from '../../../customer-success/queries/shared/query-error';
import { inputSchema } from '../shared/input-schemas';
import { queryInput } from '../shared/read-tool';
import type { ToolContext, ToolDefinition } from '../tool-definition';

const NSTRING = { type: ['string', 'null'] };
const CONNECTOR = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    url: { type: 'string', description: 'The external MCP server' },
    organisation_authorized: { type: 'boolean', description: 'Whether an admin authorised it for the organisation; until then no user can authorise it' },
    status: { type: 'string', enum: ['authorized', 'not_authorized', 'needs_reauthorization'], description: 'Your own authorization' },
    problem: { ...NSTRING, description: 'Why it needs re-authorisation' },
    authorized_at: NSTRING,
    expires_at: { ...NSTRING, description: 'When the current access token expires (csmcp refreshes it before)' },
  },
  required: ['name', 'url', 'organisation_authorized', 'status', 'problem', 'authorized_at', 'expires_at'],
};

export const authorizeConnectorTool: ToolDefinition = {
  name: 'authorize_connector',
  title: 'Authorise a connector for your own account',
  description:
    'Some connectors (external systems such as a help desk, whose data get_account_brief includes) are user-specific: they answer with each ' +
    "user's own account there, so each user authorises csmcp once. Without connector: lists those connectors with your status for each " +
    '(authorized, not_authorized, needs_reauthorization with the problem) and whether the organisation authorised it yet (a user cannot before ' +
    'an admin has). With connector: starts your authorization and returns a link (authorization_url) for you, the person, to open in a browser ' +
    'and sign in at that service before expires_at (10 minutes); give the link to the user as it is. Use it when get_account_brief says a ' +
    'source needs your authorization. Company-wide connectors are authorised by an admin; machine clients cannot authorise. Costs nothing.',
  inputSchema: inputSchema({
    connector: { type: 'string', minLength: 1, maxLength: 63, description: 'The connector to authorise (its name, from the list this tool gives without arguments). Leave out to list them.' },
  }),
  outputSchema: {
    type: 'object',
    properties: {
      connectors: { type: 'array', items: CONNECTOR, description: 'The user-specific connectors and your status for each' },
      authorization: {
        type: ['object', 'null'],
        properties: {
          connector: { type: 'string' },
          authorization_url: { type: 'string', description: 'For the user to open in a browser (not for the model to fetch)' },
          expires_at: { type: 'string', description: 'The link works until then' },
        },
        required: ['connector', 'authorization_url', 'expires_at'],
        description: 'The authorization started (with connector), else null',
      },
    },
    required: ['connectors', 'authorization'],
  },
  // It starts an authorization at an external service (and discovers or registers csmcp there): not read-only, open world.
  annotations: { title: 'Authorise a connector for your own account', readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  scope: 'cs:read',
  kind: 'read',
  async run(args, context) {
    const input = queryInput({ connector: { schema: {} } }, args, undefined);
    if (input.connector !== undefined && (typeof input.connector !== 'string' || input.connector.trim() === ''))
      throw new QueryError('INVALID_QUERY', 'connector must be the name of a connector (a string); leave it out to list them', { field: 'connector' });
    const caller = { user: { userId: context.principal.userId, email: context.principal.email ?? context.principal.userId }, actor: context.principal.actor ?? 'user' } as const;
    if (caller.actor === 'client') throw notAUser();
    if (input.connector === undefined) {
      const mine = await list(context, caller.user);
      return { structured: { connectors: mine.map(connectorJson), authorization: null }, text: listText(mine) };
    }
    const started = await context.commands.execute(new AuthorizeMyConnectorCommand(caller, input.connector as string));
    const mine = await list(context, caller.user);
    return {
      structured: { connectors: mine.map(connectorJson), authorization: { connector: started.connector, authorization_url: started.url, expires_at: started.expiresAt } },
      text:
        `Open this link in your browser and sign in at ${started.connector} to authorise csmcp for your own account (it works until ${started.expiresAt}):\n${started.url}\n` +
        'When the page says it is done, ask again (get_account_brief then uses your account).',
    };
  },
};

function list(context: ToolContext, user: { userId: string; email: string }): Promise<MyConnector[]> {
  return context.queries.execute(new ListMyConnectorsQuery(user));
}

function connectorJson(c: MyConnector): Record<string, unknown> {
  return {
    name: c.name,
    url: c.url,
    organisation_authorized: c.organisationAuthorized,
    status: c.status,
    problem: c.problem,
    authorized_at: c.authorizedAt,
    expires_at: c.expiresAt,
  };
}

function listText(connectors: MyConnector[]): string {
  if (connectors.length === 0) return 'No connector needs your own authorization: the ones csmcp uses (if any) are authorised for the whole organisation by an admin.';
  const line = (c: MyConnector) => {
    if (!c.organisationAuthorized) return `- ${c.name}: not available yet (an admin authorises it for the organisation first)`;
    if (c.status === 'authorized') return `- ${c.name}: authorised for you`;
    if (c.status === 'needs_reauthorization') return `- ${c.name}: needs re-authorisation (${c.problem}); call authorize_connector with connector "${c.name}"`;
    return `- ${c.name}: not authorised for you yet; call authorize_connector with connector "${c.name}"`;
  };
  return ['Connectors that use your own account:', ...connectors.map(line)].join('\n');
}
