/**
 * External MCP servers for the connector tests, built with the MCP SDK as a vendor would build them:
 * - an OAuth-protected Streamable HTTP server with its own small authorization server (the SDK's
 *   mcpAuthRouter: metadata, dynamic registration, authorize, token, revoke; RFC 9728 metadata for
 *   /mcp), which signs in whoever the test says (no login page) and lets the test expire or revoke tokens;
 * - a legacy HTTP+SSE server without authentication (GET /sse, POST /messages).
 * Both listen on 127.0.0.1: csmcp reaches them only for a host the admin allowed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { InvalidGrantError, InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthorizationParams, OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { OAuthClientInformationFull, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

interface Listening {
  readonly origin: string;
  readonly port: number;
  /** Every request that reached the server, as "METHOD /path". */
  readonly requests: string[];
  close(): Promise<void>;
}

async function listen(app: express.Express): Promise<Listening & { server: Server }> {
  const requests: string[] = [];
  const outer = express();
  outer.use((req, _res, next) => {
    requests.push(`${req.method} ${req.path}`);
    next();
  });
  outer.use(app);
  const sockets = new Set<Socket>();
  const server = await new Promise<Server>((resolve) => {
    const s = outer.listen(0, '127.0.0.1', () => resolve(s));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

interface IssuedToken {
  readonly user: string;
  readonly clientId: string;
  readonly scopes: string[];
  expiresAt: number;
  revoked: boolean;
}

export interface OAuthMcpServer extends Listening {
  /** The MCP endpoint: <origin>/mcp. */
  readonly url: string;
  /** Who the next authorization signs in as (the provider's own account name). */
  signInAs(user: string): void;
  /** The lifetime (expires_in) of access tokens issued from now on. */
  setAccessTokenTtl(seconds: number): void;
  /** Every access token issued so far stops working (as if its time ran out). */
  expireAccessTokens(): void;
  /** Revokes everything issued to this account: its access and refresh tokens. */
  revokeUser(user: string): void;
  readonly stats: { registrations: number; authorizations: number; codeExchanges: number; refreshes: number; refusedRefreshes: number };
}

/**
 * An OAuth-protected MCP server with tools that tell who called (whoami) and return data for an
 * account (search_tickets). Refresh tokens rotate: an old one used again is refused (invalid_grant),
 * so two clients refreshing the same grant at once would show.
 */
export async function startOAuthMcpServer(): Promise<OAuthMcpServer> {
  let base = '';
  let nextUser = 'nobody';
  let ttlSeconds = 3600;
  const clients = new Map<string, OAuthClientInformationFull>();
  const codes = new Map<string, { clientId: string; challenge: string; redirectUri: string; user: string; scopes: string[] }>();
  const accessTokens = new Map<string, IssuedToken>();
  const refreshTokens = new Map<string, IssuedToken>();
  const stats = { registrations: 0, authorizations: 0, codeExchanges: 0, refreshes: 0, refusedRefreshes: 0 };

  const clientsStore: OAuthRegisteredClientsStore = {
    getClient: async (clientId) => clients.get(clientId),
    registerClient: async (client) => {
      stats.registrations++;
      const full = { ...client, client_id: `ext-client-${randomUUID()}`, client_id_issued_at: Math.floor(Date.now() / 1000) } as OAuthClientInformationFull;
      clients.set(full.client_id, full);
      return full;
    },
  };

  const issue = (user: string, clientId: string, scopes: string[]): OAuthTokens => {
    const access = `at-${randomBytes(12).toString('hex')}`;
    const refresh = `rt-${randomBytes(12).toString('hex')}`;
    accessTokens.set(access, { user, clientId, scopes, expiresAt: Date.now() + ttlSeconds * 1000, revoked: false });
    refreshTokens.set(refresh, { user, clientId, scopes, expiresAt: Number.MAX_SAFE_INTEGER, revoked: false });
    return { access_token: access, token_type: 'Bearer', expires_in: ttlSeconds, refresh_token: refresh, scope: scopes.join(' ') };
  };

  const provider: OAuthServerProvider = {
    get clientsStore() {
      return clientsStore;
    },
    async authorize(client: OAuthClientInformationFull, params: AuthorizationParams, res: Response) {
      stats.authorizations++;
      const code = `code-${randomBytes(12).toString('hex')}`;
      codes.set(code, { clientId: client.client_id, challenge: params.codeChallenge, redirectUri: params.redirectUri, user: nextUser, scopes: params.scopes ?? [] });
      const target = new URL(params.redirectUri);
      target.searchParams.set('code', code);
      if (params.state) target.searchParams.set('state', params.state);
      res.redirect(302, target.href);
    },
    async challengeForAuthorizationCode(_client, code) {
      const found = codes.get(code);
      if (!found) throw new InvalidGrantError('unknown authorization code');
      return found.challenge;
    },
    async exchangeAuthorizationCode(client, code) {
      const found = codes.get(code);
      if (!found || found.clientId !== client.client_id) throw new InvalidGrantError('unknown authorization code');
      codes.delete(code);
      stats.codeExchanges++;
      return issue(found.user, client.client_id, found.scopes);
    },
    async exchangeRefreshToken(client, refreshToken) {
      const found = refreshTokens.get(refreshToken);
      if (!found || found.revoked || found.clientId !== client.client_id) {
        stats.refusedRefreshes++;
        throw new InvalidGrantError('the refresh token is invalid, used already or revoked');
      }
      found.revoked = true; // rotation: each refresh token works once
      stats.refreshes++;
      return issue(found.user, client.client_id, found.scopes);
    },
    async verifyAccessToken(token): Promise<AuthInfo> {
      const found = accessTokens.get(token);
      if (!found || found.revoked || found.expiresAt <= Date.now()) throw new InvalidTokenError('the access token is invalid, expired or revoked');
      return { token, clientId: found.clientId, scopes: found.scopes, expiresAt: Math.floor(found.expiresAt / 1000), extra: { user: found.user } };
    },
  };

  const app = express();
  const late = express.Router();
  app.use((req, res, next) => late(req, res, next));
  const running = await listen(app);
  base = running.origin;
  const mcpUrl = `${base}/mcp`;
  late.use(mcpAuthRouter({ provider, issuerUrl: new URL(`${base}/`), resourceServerUrl: new URL(mcpUrl), scopesSupported: ['tickets:read'] }));
  late.post('/mcp', express.json(), requireBearerAuth({ verifier: provider, resourceMetadataUrl: `${base}/.well-known/oauth-protected-resource/mcp` }), async (req: Request, res: Response) => {
    const server = new McpServer({ name: 'tickets-desk', version: '2.1.0' });
    server.registerTool('whoami', { description: 'The desk account this connection acts as', annotations: { readOnlyHint: true } }, async (extra) => ({
      content: [{ type: 'text', text: String(extra.authInfo?.extra?.user ?? 'anonymous') }],
    }));
    server.registerTool(
      'search_tickets',
      { description: 'Open support tickets of a company', inputSchema: { company: z.string() }, annotations: { readOnlyHint: true } },
      async ({ company }, extra) => ({
        content: [{ type: 'text', text: JSON.stringify({ company, tickets: [{ id: 'T-1', subject: 'Login fails' }], seenBy: extra.authInfo?.extra?.user }) }],
      }),
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  late.all('/mcp', (_req, res) => res.status(405).set('allow', 'POST').end());

  return {
    ...running,
    url: mcpUrl,
    stats,
    signInAs: (user) => {
      nextUser = user;
    },
    setAccessTokenTtl: (seconds) => {
      ttlSeconds = seconds;
    },
    expireAccessTokens: () => {
      for (const token of accessTokens.values()) token.expiresAt = 0;
    },
    revokeUser: (user) => {
      for (const token of [...accessTokens.values(), ...refreshTokens.values()]) if (token.user === user) token.revoked = true;
    },
  };
}

export interface LegacySseServer extends Listening {
  /** The SSE endpoint: <origin>/sse. */
  readonly url: string;
}

/** A 2024-11-05 server: HTTP+SSE only (a POST to /sse is 404), no authentication. */
export async function startLegacySseServer(): Promise<LegacySseServer> {
  const transports = new Map<string, SSEServerTransport>();
  const app = express();
  app.get('/sse', async (_req: Request, res: Response) => {
    const server = new McpServer({ name: 'legacy-crm', version: '0.9.0' });
    server.registerTool('list_accounts', { description: 'Accounts in the old CRM', annotations: { readOnlyHint: true } }, async () => ({
      content: [{ type: 'text', text: JSON.stringify(['Acme', 'Globex']) }],
    }));
    const transport = new SSEServerTransport('/messages', res);
    transports.set(transport.sessionId, transport);
    res.on('close', () => {
      transports.delete(transport.sessionId);
      void server.close();
    });
    await server.connect(transport);
  });
  app.post('/messages', async (req: Request, res: Response) => {
    const transport = transports.get(String(req.query.sessionId));
    if (!transport) {
      res.status(404).end('unknown session');
      return;
    }
    await transport.handlePostMessage(req, res);
  });
  const running = await listen(app);
  return { ...running, url: `${running.origin}/sse` };
}
