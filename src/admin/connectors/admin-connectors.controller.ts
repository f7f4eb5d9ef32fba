import { Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import type { EventStore } from '@csmcp/event-store';
import type { AuditLog } from '../../audit/audit-log';
import { AUDIT_LOG } from '../../audit/audit.tokens';
import { briefSourceJson, type BriefSourceJson } from '../../connectors/briefs/brief-source.json';
import { BriefSources } from '../../connectors/briefs/brief-sources';
import { auditedConnectorTest } from '../../connectors/briefs/connector-test-audit';
import { ConnectorClient, type ConnectorUser } from '../../connectors/client/connector-client';
import { ConnectorAuthorizations } from '../../connectors/oauth/connector-authorizations';
import { usesOAuth, type Connector, type GrantSubject } from '../../connectors/registry/connector';
import { connectorChangeJson, connectorJson, grantJson, type ConnectorJson, type GrantJson } from '../../connectors/registry/connector.json';
import { ConnectorRegistry, type UpdateConnectorRequest } from '../../connectors/registry/connector.service';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { adminContextOf, auditActorOf } from '../http/admin-caller';
import { AdminApiError } from '../http/admin-api-error';
import { AdminErrorFilter } from '../http/admin-error.filter';
import { fieldsOf, type FieldSpec } from '../http/fields';
import { readAdminJsonBody } from '../http/json-body';
import { queryParams } from '../http/query-params';
import { connectorCall, connectorUserOf, testReportJson } from './connector-api';

/** POST /connectors: as `csmcp connectors add` (client_secret as --client-secret-stdin; stored encrypted, never returned). */
const CREATE = {
  name: { kind: 'string', required: true },
  url: { kind: 'string', required: true },
  transport: { kind: 'string' },
  auth: { kind: 'string', required: true },
  client_id: { kind: 'string' },
  client_secret: { kind: 'string' },
  grant: { kind: 'string' },
  scopes: { kind: 'string[]' },
  authorization_scope: { kind: 'string' },
  allowed_hosts: { kind: 'string[]' },
} as const satisfies FieldSpec;

/** PATCH /connectors/{name}: as `csmcp connectors update`; client_secret null forgets it, allowed_hosts [] allows no private host. */
const UPDATE = {
  url: { kind: 'string' },
  transport: CREATE.transport,
  auth: { kind: 'string' },
  client_id: CREATE.client_id,
  client_secret: { kind: 'string|null' },
  grant: CREATE.grant,
  scopes: CREATE.scopes,
  authorization_scope: CREATE.authorization_scope,
  allowed_hosts: CREATE.allowed_hosts,
} as const satisfies FieldSpec;

/** POST …/authorize and …/test: for one csmcp user (a user-specific connector) or, without it, the organisation. */
const FOR_USER = { user_email: { kind: 'string' } } as const satisfies FieldSpec;

type ListedConnector = ConnectorJson & { company_grant: GrantJson | null; user_grants: number };

/**
 * The connectors (external MCP servers csmcp calls as a client, issue 7) through the same services as
 * `csmcp connectors …`: every change is an event naming the admin, the client secret is stored
 * encrypted and never returned, tokens never leave the state database.
 */
@Controller('admin/api/connectors')
@UseFilters(AdminErrorFilter)
export class AdminConnectorsController {
  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly authorizations: ConnectorAuthorizations,
    private readonly client: ConnectorClient,
    private readonly sources: BriefSources,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(AUDIT_LOG) private readonly audit: AuditLog,
  ) {}

  /** Oldest first, each with the organisation's authorization and how many users have authorised it. */
  @Get()
  async list(@Query() query: Record<string, unknown>): Promise<{ connectors: ListedConnector[] }> {
    queryParams(query, []);
    const connectors = await this.registry.list();
    return {
      connectors: await Promise.all(
        connectors.map(async (c) => {
          const grants = await this.grants(c);
          return {
            ...connectorJson(c),
            company_grant: grants.find((g) => g.subject === 'company') ?? null,
            user_grants: grants.filter((g) => g.subject === 'user' && g.status === 'authorized').length,
          };
        }),
      ),
    };
  }

  /** 201; redirect_uri is csmcp's callback, for the provider's allow-list. */
  @Post()
  async create(@Req() req: Request): Promise<ConnectorJson & { redirect_uri: string }> {
    const body = fieldsOf(await readAdminJsonBody(req), CREATE);
    const connector = await connectorCall(() =>
      this.registry.register(
        {
          name: body.name!,
          url: body.url!,
          transport: body.transport,
          auth: body.auth!,
          clientId: body.client_id,
          clientSecret: body.client_secret,
          grant: body.grant,
          scopes: body.scopes,
          authorizationScope: body.authorization_scope,
          allowedHosts: body.allowed_hosts,
        },
        adminContextOf(req, 'POST /admin/api/connectors'),
      ),
    );
    return { ...connectorJson(connector), redirect_uri: this.authorizations.identity.redirectUri };
  }

  @Get(':name')
  async get(@Param('name') name: string): Promise<ConnectorJson & { redirect_uri: string; grants: GrantJson[]; brief_sources: BriefSourceJson[] }> {
    const connector = await connectorCall(() => this.registry.require(name), name);
    const sources = (await this.sources.list()).filter((s) => s.connector === connector.name);
    return { ...connectorJson(connector), redirect_uri: this.authorizations.identity.redirectUri, grants: await this.grants(connector), brief_sources: sources.map(briefSourceJson) };
  }

  /** A new url, auth, client or authorization scope voids the authorizations (authorizations_reset: authorise again). */
  @Patch(':name')
  async update(@Req() req: Request, @Param('name') name: string) {
    const body = fieldsOf(await readAdminJsonBody(req), UPDATE);
    const request: UpdateConnectorRequest = {
      url: body.url,
      transport: body.transport,
      auth: body.auth,
      clientId: body.client_id,
      clientSecret: body.client_secret ?? undefined,
      clearClientSecret: body.client_secret === null ? true : undefined,
      grant: body.grant,
      scopes: body.scopes,
      authorizationScope: body.authorization_scope,
      allowedHosts: body.allowed_hosts,
    };
    if (Object.values(request).every((v) => v === undefined))
      throw new AdminApiError(400, 'NOTHING_TO_CHANGE', `Nothing to change: give one or more of ${Object.keys(UPDATE).join(', ')}`, { field: null, allowed: Object.keys(UPDATE) });
    const context = adminContextOf(req, 'PATCH /admin/api/connectors/{name}');
    const { connector, changes, authorizationsReset } = await connectorCall(() => this.registry.update(name, request, context), name);
    return { connector: connectorJson(connector), changes: changes.map(connectorChangeJson), authorizations_reset: authorizationsReset };
  }

  /** The connector, its client secret and tokens go; its events stay. Its brief sources stay too, and show an error until removed. */
  @Delete(':name')
  async remove(@Req() req: Request, @Param('name') name: string): Promise<{ name: string; removed: true }> {
    fieldsOf(await readAdminJsonBody(req), {});
    const connector = await connectorCall(() => this.registry.remove(name, adminContextOf(req, 'DELETE /admin/api/connectors/{name}')), name);
    return { name: connector.name, removed: true };
  }

  /**
   * Starts an authorization for the organisation or, with user_email, for that user (a user-specific
   * connector the organisation authorised): the URL to open, valid 10 minutes. With client
   * credentials csmcp gets the token at once: { authorized: true }.
   */
  @Post(':name/authorize')
  @HttpCode(200)
  async authorize(@Req() req: Request, @Param('name') name: string) {
    const body = fieldsOf(await readAdminJsonBody(req), FOR_USER);
    const user = body.user_email !== undefined ? await connectorUserOf(this.store, body.user_email) : null;
    const subject: GrantSubject = user ? { kind: 'user', ...user } : { kind: 'company' };
    const context = adminContextOf(req, 'POST /admin/api/connectors/{name}/authorize');
    const result = await connectorCall(() => this.authorizations.begin(name, subject, context), name);
    const who = { connector: result.connector.name, subject: user ? 'user' : 'company', user_email: user?.email ?? null };
    if (result.kind === 'authorized') return { ...who, authorized: true };
    return { ...who, authorization_url: result.url, expires_at: result.expiresAt };
  }

  /**
   * Connects, lists the external tools and says how csmcp authenticated (a user's authorization with
   * user_email, else the organisation's). A real call: in the audit log as the admin, never charged.
   */
  @Post(':name/test')
  @HttpCode(200)
  async test(@Req() req: Request, @Param('name') name: string) {
    const body = fieldsOf(await readAdminJsonBody(req), FOR_USER);
    const connector = await connectorCall(() => this.registry.require(name), name);
    const user: ConnectorUser | null = body.user_email !== undefined ? await connectorUserOf(this.store, body.user_email) : null;
    const report = await connectorCall(() =>
      auditedConnectorTest(this.audit, auditActorOf(req), connector.name, { user: user?.email ?? null }, () => this.client.test(connector, user, { organisation: user === null })),
    );
    return testReportJson(report);
  }

  private async grants(connector: Connector): Promise<GrantJson[]> {
    return usesOAuth(connector) ? (await this.authorizations.grants(connector)).map(grantJson) : [];
  }
}
