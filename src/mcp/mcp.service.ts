import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { BriefRunner } from '../connectors/briefs/brief-runner';
import { StoreUnavailableError } from '@csmcp/event-store';
import { PostgresReadModelDatabase, SqliteReadModelDatabase } from '@csmcp/projections';
import { bearerAuthMiddleware, principalOf } from '../auth/http/bearer-auth.middleware';
import { protectedResourceMetadataUrl, publicBaseUrl } from '../auth/http/public-base-url';
import { BearerTokenVerifier } from '../auth/http/bearer-token.verifier';
import type { Principal } from '../auth/principal';
import { DEFAULT_MCP_LIMITS, type AppConfig } from '../config/config';
import { WritePolicyService } from '../governance/write-policy-config/write-policy.service';
import { clientAddress } from '../net/client-address';
import { APP_CONFIG } from '../infrastructure/tokens';
import type { AuditLog } from '../audit/audit-log';
import { AUDIT_LOG } from '../audit/audit.tokens';
import { LegacySseEndpoint } from './http/legacy-sse.endpoint';
import { checkProtocolVersionHeader, OriginPolicy, sendJsonRpcError, setCorsHeaders } from './http/request-guards';
import { StreamableHttpEndpoint, type AuthenticatedRequest } from './http/streamable-http.endpoint';
import { StreamLimits } from './http/stream-limits';
import type { McpServerDeps } from './server/mcp-server.factory';
import { McpStateStore } from './state/mcp-state.store';

/** The paths MCP answers at: the product's own and the one connector guides use. */
export const MCP_PATHS = ['/mcp', '/v1/ds-mcp/mcp'] as const;

/**
 * The doors of the MCP endpoint, in order: Host/Origin (DNS rebinding), CORS preflight (no token
 * needed), bearer token, protocol version header; then the transport. Every refusal is a JSON-RPC
 * error body with the right HTTP status.
 */
@Injectable()
export class McpService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('MCP');
  private readonly origins: OriginPolicy;
  private readonly state: McpStateStore;
  private readonly streamable: StreamableHttpEndpoint;
  private readonly legacy: LegacySseEndpoint;
  private readonly authenticate: (req: AuthenticatedRequest, res: ServerResponse, next: () => void) => void;
  /** Where a request comes from: the TCP peer, or behind TRUSTED_PROXIES the client it forwards for. */
  private readonly clientAddress: (req: AuthenticatedRequest) => string | null;
  private readonly sweeper: NodeJS.Timeout;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    verifier: BearerTokenVerifier,
    policy: WritePolicyService,
    queries: QueryBus,
    commands: CommandBus,
    @Inject(AUDIT_LOG) audit: AuditLog,
    @Optional() briefs?: BriefRunner,
  ) {
    this.origins = new OriginPolicy(config);
    const trustedProxies = config.trustedProxies ?? [];
    this.clientAddress = (req) => clientAddress(req, trustedProxies);
    this.state = new McpStateStore(
      config.readModels.kind === 'postgres'
        ? new PostgresReadModelDatabase({ connectionString: config.readModels.connectionString, schema: config.readModels.schema, poolSize: 4 })
        : // Replay buffers and sessions may be lost on power loss (clients re-initialise); an fsync per SSE event may not.
          new SqliteReadModelDatabase({ filename: join(config.dataDir, 'mcp-state.db'), synchronous: 'NORMAL' }),
    );
    const deps: McpServerDeps = {
      queries,
      commands,
      policyConfig: () => policy.cachedConfig(),
      confirmations: this.state,
      audit,
      briefs: () => briefs ?? null,
      logError: (error, context) => this.logger.error({ ...context, err: error, msg: 'MCP request failed' }),
    };
    const limits = config.mcpLimits ?? DEFAULT_MCP_LIMITS;
    const streams = new StreamLimits(limits.streamsPerUser);
    this.streamable = new StreamableHttpEndpoint(deps, this.state, { sessionsPerUser: limits.sessionsPerUser, streams });
    this.legacy = new LegacySseEndpoint(deps, streams);
    this.authenticate = bearerAuthMiddleware<AuthenticatedRequest, ExpressLikeResponse>(verifier, {
      resourceMetadataUrl: (req) => protectedResourceMetadataUrl(publicBaseUrl(config, req), resourcePath(req)),
      // JWT access tokens must name the MCP path they are used at in aud (/sse and /messages: /mcp).
      resource: (req) => `${publicBaseUrl(config, req)}${resourcePath(req)}`,
      // Clients that ask for every advertised scope would ask for admin too (and be refused by most
      // integrations): the challenge names what MCP use needs, as the authorization spec suggests.
      challengeScope: 'cs:read cs:write',
      // A token good for neither reading nor writing cannot open a session; each tool checks its own scope.
      requireAnyScope: ['cs:read', 'cs:write'],
      clientAddress: this.clientAddress,
      // 429 (RATE_LIMIT_PER_USER / _PER_INTEGRATION) as a JSON-RPC error, like every other refusal here.
      rateLimitedBody: (message) => ({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }),
      onError: (error) => this.logger.error({ err: error, msg: 'access token check failed' }),
    }) as never;
    this.sweeper = setInterval(() => void this.state.sweep().catch((error) => this.logger.warn({ err: error, msg: 'MCP state sweep failed' })), 10 * 60_000);
    this.sweeper.unref();
  }

  /** /mcp and /v1/ds-mcp/mcp: Streamable HTTP. */
  async handleStreamable(req: AuthenticatedRequest, res: ServerResponse): Promise<void> {
    const principal = await this.admit(req, res);
    if (principal) await unlessUnavailable(res, () => this.streamable.handle(req, res, principal));
  }

  /** GET /sse: a legacy (2024-11-05) stream. */
  async handleLegacyStream(req: AuthenticatedRequest, res: ServerResponse, messagesPath: string): Promise<void> {
    const principal = await this.admit(req, res);
    if (!principal) return;
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      return sendJsonRpcError(res, 405, -32000, 'Open the legacy SSE stream with GET');
    }
    await unlessUnavailable(res, () => this.legacy.open(req, res, principal, messagesPath));
  }

  /** POST /messages?sessionId=…: a legacy client's message. */
  async handleLegacyMessage(req: AuthenticatedRequest, res: ServerResponse, sessionId: string | undefined): Promise<void> {
    const principal = await this.admit(req, res);
    if (!principal) return;
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return sendJsonRpcError(res, 405, -32000, 'Send legacy messages with POST');
    }
    await unlessUnavailable(res, () => this.legacy.message(req, res, principal, sessionId));
  }

  /** The checks every MCP request passes; null = refused (the answer is sent). */
  private async admit(req: AuthenticatedRequest, res: ServerResponse): Promise<Principal | null> {
    if (this.stopping) {
      // A client reconnecting its stream over a kept-alive socket must not hold the shutdown up.
      res.setHeader('Connection', 'close');
      res.setHeader('Retry-After', '1');
      sendJsonRpcError(res, 503, -32000, 'The server is shutting down; retry in a moment (another instance may serve this session)');
      return null;
    }
    const refusal = this.origins.check(req);
    if (refusal) {
      sendJsonRpcError(res, refusal.status, -32000, `Forbidden: ${refusal.message}`);
      return null;
    }
    setCorsHeaders(res, this.origins.corsOrigin(req), req.method === 'OPTIONS');
    if (req.method === 'OPTIONS') {
      res.statusCode = 204;
      res.end();
      return null;
    }
    const authenticated = await new Promise<boolean>((resolve) => {
      res.once('finish', () => resolve(false));
      this.authenticate(req, res, () => resolve(true));
    });
    const principal = authenticated ? principalOf(req) : undefined;
    if (!principal) return null;
    req.auth = { ...req.auth!, extra: { ...req.auth!.extra, sourceIp: this.clientAddress(req) } };
    const version = checkProtocolVersionHeader(req);
    if (version) {
      sendJsonRpcError(res, version.status, -32000, version.message);
      return null;
    }
    return principal;
  }

  /**
   * Streams end before Nest closes the HTTP server, which waits for every open connection: an open
   * SSE stream would otherwise hold `csmcp serve` up forever after SIGTERM.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.sweeper);
    await this.streamable.close();
    await this.legacy.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.state.close();
  }
}

/**
 * The session state lives in the shared database: while it is unreachable, a session request cannot be
 * served. That is a 503 the client retries, not an internal error (seen in the database-down soak).
 */
async function unlessUnavailable(res: ServerResponse, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof StoreUnavailableError) || res.headersSent) throw error;
    res.setHeader('Retry-After', '1');
    sendJsonRpcError(res, 503, -32000, 'The data store is temporarily unavailable, retry shortly (a write: with the same idempotency_key, so it cannot happen twice)');
  }
}

type ExpressLikeResponse = ServerResponse & { status(code: number): ExpressLikeResponse; json(body: unknown): unknown };

function resourcePath(req: AuthenticatedRequest): string {
  const path = (req.url ?? '/mcp').split('?')[0];
  return (MCP_PATHS as readonly string[]).includes(path) ? path : '/mcp';
}
