import { request } from 'node:http';
import { startSeededServer, type SeededServer } from '../conformance/seeded-server';

/**
 * Bad input at the MCP endpoint of a real `csmcp serve` (embedded SQLite store in a temp DATA_DIR,
 * seeded with `users add` + `seed demo --companies 10`, a CSM's token from `tokens issue`), sent as
 * raw HTTP with node:http (fetch forbids setting Host). Every case gets the status and error below
 * and writes nothing: the rows of the events table (events.db, read-only) are counted before and
 * after. No response, whatever the case, is a 5xx or carries a stack trace or SQL text.
 *
 * | # | request                                                                    | answer                                                                 |
 * |---|----------------------------------------------------------------------------|------------------------------------------------------------------------|
 * | 1 | POST /mcp, body `{"jsonrpc":"2.0","id":1,` (malformed JSON)                | 400, JSON-RPC error -32700                                             |
 * | 2 | POST /mcp, `{"id":1}` (no jsonrpc, no method)                              | 400, JSON-RPC error -32700 "Invalid JSON-RPC message" (the SDK's)      |
 * | 3 | POST /mcp, tools/list with an object as id                                 | 400, JSON-RPC error -32700 (the SDK's)                                 |
 * | 4 | POST /mcp, `"jsonrpc":"1.0"`; a number as method                           | 400, JSON-RPC error -32700 (the SDK's)                                 |
 * | 5 | POST /mcp, Content-Type text/plain                                         | 415, JSON-RPC error -32000                                             |
 * | 6 | tools/call of an unknown tool (stateless and in a session)                 | 200, JSON-RPC error -32602 naming the tool and listing csmcp's tools   |
 * | 7 | list_ctas with limit: "ten"                                                | isError result, INVALID_QUERY naming limit                             |
 * | 8 | create_cta with due_date: 42                                               | isError result, VALIDATION naming due_date                             |
 * | 9 | list_ctas / create_cta with an unknown argument                            | isError result, INVALID_QUERY / VALIDATION naming it                   |
 * |10 | a valid create_cta padded past 1 MiB, with Content-Length                  | 413, JSON-RPC error -32000, nothing written                            |
 * |11 | the same, chunked (no Content-Length)                                      | 413, JSON-RPC error -32000, nothing written                            |
 * |12 | Host: evil.example.com, no token                                           | 403 (before auth: not 401), JSON-RPC error -32000                      |
 * |13 | Host: evil.example.com, with the token; and Host: localhost:<port>         | 403; 200                                                               |
 * |14 | Origin https://evil.example.com, http://localhost.evil.example.com, null (POST and OPTIONS) | 403, no Access-Control-Allow-Origin     |
 * |15 | Origin https://claude.ai, https://chatgpt.com, http://localhost:<port>     | 200 (ping), Access-Control-Allow-Origin echoes it                      |
 * |16 | Origin https://cs.example.org, added by MCP_ALLOWED_ORIGINS                 | 200                                                                    |
 * |17 | OPTIONS /mcp from https://claude.ai, no token (CORS preflight)             | 204, Allow-Origin, Allow-Headers incl. Authorization + Mcp-Session-Id  |
 * |18 | a 401 and an initialize from https://claude.ai                             | Access-Control-Expose-Headers incl. WWW-Authenticate, Mcp-Session-Id   |
 * |19 | no Authorization header                                                    | 401, WWW-Authenticate: Bearer resource_metadata="…/.well-known/oauth-protected-resource/mcp", scope="cs:read cs:write" |
 * |20 | a made-up token (well formed and not)                                      | 401, WWW-Authenticate error="invalid_token"                            |
 * |21 | a token revoked with `csmcp tokens revoke`                                 | 401 invalid_token (it worked before)                                   |
 * |22 | MCP-Protocol-Version: 1999-01-01                                           | 400, JSON-RPC error -32000 listing the supported versions              |
 * |23 | an unknown Mcp-Session-Id                                                  | 404, JSON-RPC error -32001                                             |
 * |24 | GET /mcp and DELETE /mcp without a session                                 | 405, Allow: POST                                                       |
 * |25 | initialize with an Mcp-Session-Id                                          | 400, JSON-RPC error -32600                                             |
 * |26 | a batch (JSON array) holding a valid create_cta + ping, stateless with MCP-Protocol-Version 2025-11-25 | 400, -32600, nothing written. FAILS today: 200, the CTA is written (see below) |
 * |27 | the same batch in a 2025-11-25 session                                      | 400, -32600, nothing written. FAILS today: 200 (SSE), the CTA is written |
 * |28 | a batch with an invalid create_cta (due_date: 42) + ping in a 2025-03-26 session | 200 (SSE), both answered (VALIDATION, ping), nothing written   |
 *
 * Batches: MCP 2025-06-18 removed JSON-RPC batching (a POST body "MUST be a single JSON-RPC request,
 * notification, or response"); 2025-03-26 had it. SDK 1.32's transport serves a batch whatever the
 * version, so csmcp executes every call of a batch sent with 2025-06-18 or later (each call still goes
 * through the write policy). Rows 26 and 27 are left failing until StreamableHttpEndpoint refuses them.
 */

const ACCEPT = 'application/json, text/event-stream';
const MIB = 1024 * 1024;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

interface Send {
  readonly method?: string;
  readonly path?: string;
  /** Replaces the defaults; a null value removes one (e.g. authorization: null). */
  readonly headers?: Record<string, string | null>;
  readonly body?: string | Buffer | unknown;
  /** Send the body in pieces without Content-Length (Transfer-Encoding: chunked). */
  readonly chunked?: boolean;
}

describe('MCP endpoint refuses bad input (csmcp serve, embedded store)', () => {
  let csmcp: SeededServer;
  let port: string;
  const answers: Array<{ what: string; answer: Answer }> = [];

  beforeAll(async () => {
    csmcp = await startSeededServer({ prefix: 'csmcp-bad-input-', companies: 10, activities: 3, serveEnv: { MCP_ALLOWED_ORIGINS: 'https://cs.example.org' } });
    port = new URL(csmcp.url).port;
  }, 180_000);

  afterAll(async () => {
    await csmcp?.stop();
  });

  /** One raw HTTP exchange; every answer is checked for 5xx, stack traces and SQL. */
  function send(options: Send = {}): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: ACCEPT, authorization: `Bearer ${csmcp.token}` };
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value === null) delete headers[name.toLowerCase()];
      else headers[name.toLowerCase()] = value;
    }
    const method = options.method ?? 'POST';
    const body =
      options.body === undefined ? undefined : typeof options.body === 'string' || Buffer.isBuffer(options.body) ? Buffer.from(options.body) : Buffer.from(JSON.stringify(options.body));
    if (body && !options.chunked && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path: options.path ?? '/mcp', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const answer = { status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') };
          answers.push({ what: `${method} ${options.path ?? '/mcp'}`, answer });
          expectClean(answer);
          resolve(answer);
        });
        res.on('error', reject);
      });
      // The server may answer (413) before it has read everything; that is not an error of the exchange.
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
      if (body && options.chunked) {
        for (let offset = 0; offset < body.length; offset += 64 * 1024) req.write(body.subarray(offset, offset + 64 * 1024));
        req.end();
      } else req.end(body);
    });
  }

  /** Never a 5xx, a stack trace or SQL, whatever was sent. */
  function expectClean(answer: Answer): void {
    expect(answer.status).toBeLessThan(500);
    expect(answer.text).not.toMatch(/\bat .*\(?(\/|[A-Z]:\\)\S+\.(ts|js|cjs|mjs):\d+/); // "at fn (/path/file.ts:12:3)"
    expect(answer.text).not.toMatch(/node_modules|\/work\/|dist\/src|\bsrc\/\w+\/\S+\.ts\b/);
    expect(answer.text).not.toMatch(/\b(SELECT\s+\S.*\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b|SQLITE_|no such (table|column)|syntax error at|near "/i);
  }

  /** The JSON-RPC message of an answer: its JSON body, or the data of its first SSE event. */
  function message(answer: Answer): { jsonrpc?: string; id?: unknown; result?: Record<string, any>; error?: { code: number; message: string; data?: unknown } } {
    try {
      return JSON.parse(answer.text);
    } catch {
      const data = /^data: ?(\{.*)$/m.exec(answer.text);
      if (!data) throw new Error(`neither JSON nor an SSE message (status ${answer.status}): ${answer.text.slice(0, 500)}`);
      return JSON.parse(data[1]);
    }
  }

  /** Runs a case and checks it wrote no event. */
  async function writesNothing<T>(work: () => Promise<T>): Promise<T> {
    const before = csmcp.eventCount();
    const result = await work();
    expect(csmcp.eventCount()).toBe(before);
    return result;
  }

  const toolCall = (name: string, args: Record<string, unknown>, id: number | string = 1) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
  const validCta = (extra: Record<string, unknown> = {}) => ({ company_id: csmcp.companies[0], name: 'Renewal at risk', type: 'Risk', ...extra });
  const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };

  /** Opens a session (initialize + initialized); returns its id. */
  async function openSession(protocolVersion = '2025-11-25', headers: Record<string, string | null> = {}): Promise<string> {
    const init = await send({
      headers,
      body: { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'bad-input-e2e', version: '1.0.0' } } },
    });
    expect(init.status).toBe(200);
    const sessionId = init.headers['mcp-session-id'] as string;
    expect(sessionId).toEqual(expect.any(String));
    const initialized = await send({ headers: { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion }, body: { jsonrpc: '2.0', method: 'notifications/initialized' } });
    expect(initialized.status).toBe(202);
    return sessionId;
  }

  it('the seeded store is there and a valid call works (the baseline of the cases below)', async () => {
    expect(csmcp.companies.length).toBeGreaterThan(0);
    const answer = await send({ body: toolCall('list_ctas', { company_id: csmcp.companies[0], limit: 5 }) });
    expect(answer.status).toBe(200);
    expect(message(answer).result).toMatchObject({ structuredContent: { items: expect.any(Array) } });
    expect(message(answer).result!.isError).toBeUndefined();
  });

  describe('JSON and JSON-RPC', () => {
    it('malformed JSON → 400, -32700', async () => {
      const answer = await writesNothing(() => send({ body: '{"jsonrpc":"2.0","id":1,' }));
      expect(answer.status).toBe(400);
      expect(message(answer)).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 }, id: null });
    });

    it.each([
      ['without jsonrpc and method', { id: 1 }],
      ['with an object as id', { jsonrpc: '2.0', id: { nested: true }, method: 'tools/list' }],
      ['with jsonrpc 1.0', { jsonrpc: '1.0', id: 1, method: 'tools/list' }],
      ['with a number as method', { jsonrpc: '2.0', id: 1, method: 42 }],
    ])('a message that is not JSON-RPC (%s) → 400 with a JSON-RPC error (the SDK answers -32700)', async (_what, body) => {
      const answer = await writesNothing(() => send({ body }));
      expect(answer.status).toBe(400);
      const error = message(answer).error!;
      expect([-32700, -32600]).toContain(error.code);
      expect(error.code).toBe(-32700); // what SDK 1.32 answers: "Parse error: Invalid JSON-RPC message"
    });

    it('a request id reused while the first request of the session is still being answered → 409, and every answer ends', async () => {
      const sessionId = await openSession();
      const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
      // Pairs sent at once under one id; without the check, the second took over the first one's stream and
      // that response never ended (found by the MCP fuzz soak): every send here must come back.
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => [
          send({ headers, body: toolCall('list_ctas', { company_id: csmcp.companies[0] }, `dup-${i}`) }),
          send({ headers, body: toolCall('list_ctas', { company_id: csmcp.companies[0] }, `dup-${i}`) }),
        ]).flat(),
      );
      for (const answer of answers) {
        if (answer.status === 409)
          expect(message(answer).error).toEqual({
            code: -32600,
            message: expect.stringMatching(/^Invalid Request: id "dup-\d+" is already used by a request of this session still being answered/),
          });
        else expect(message(answer)).toMatchObject({ id: expect.stringMatching(/^dup-/), result: expect.any(Object) });
      }
      // In one batch (2025-03-26 still allows batches), the same id twice is refused outright.
      const batchSession = await openSession('2025-03-26');
      const batch = await send({
        headers: { 'mcp-session-id': batchSession, 'mcp-protocol-version': '2025-03-26' },
        body: [ping, { ...ping }],
      });
      expect(batch.status).toBe(409);
    });

    it('a body that is not application/json → 415', async () => {
      const answer = await writesNothing(() => send({ headers: { 'content-type': 'text/plain' }, body: JSON.stringify(ping) }));
      expect(answer.status).toBe(415);
      expect(message(answer).error).toMatchObject({ code: -32000, message: expect.stringContaining('application/json') });
    });
  });

  describe('tools', () => {
    it('an unknown tool → JSON-RPC error -32602 naming it and listing the tools (stateless and in a session)', async () => {
      const stateless = await writesNothing(() => send({ body: toolCall('drop_all_tables', {}) }));
      expect(stateless.status).toBe(200);
      const error = message(stateless).error!;
      expect(error.code).toBe(-32602);
      expect(error.message).toContain('drop_all_tables');
      for (const tool of ['search_companies', 'list_ctas', 'create_cta', 'analyze_accounts']) expect(error.message).toContain(tool);

      const sessionId = await openSession();
      const inSession = await writesNothing(() => send({ headers: { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' }, body: toolCall('drop_all_tables', {}, 7) }));
      expect(inSession.status).toBe(200);
      expect(message(inSession)).toMatchObject({ id: 7, error: { code: -32602, message: expect.stringContaining('drop_all_tables') } });
    });

    it('a read with a wrong argument type (limit: "ten") → isError, INVALID_QUERY naming limit', async () => {
      const answer = await writesNothing(() => send({ body: toolCall('list_ctas', { company_id: csmcp.companies[0], limit: 'ten' }) }));
      expect(answer.status).toBe(200);
      const result = message(answer).result!;
      expect(result.isError).toBe(true);
      expect(result._meta['csmcp/error'].code).toBe('INVALID_QUERY');
      expect(JSON.stringify(result._meta['csmcp/error'])).toContain('limit');
      expect(result.content[0].text).toMatch(/^INVALID_QUERY: .*limit/);
    });

    it('a write with a wrong argument type (due_date: 42) → isError, VALIDATION naming due_date', async () => {
      const answer = await writesNothing(() => send({ body: toolCall('create_cta', validCta({ due_date: 42 })) }));
      expect(answer.status).toBe(200);
      const result = message(answer).result!;
      expect(result.isError).toBe(true);
      expect(result._meta['csmcp/error'].code).toBe('VALIDATION');
      expect(result._meta['csmcp/error'].problems).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'due_date' })]));
    });

    it('unknown arguments are refused, named, for a read (INVALID_QUERY) and a write (VALIDATION)', async () => {
      const read = await writesNothing(() => send({ body: toolCall('list_ctas', { company_id: csmcp.companies[0], drop_table: 'events' }) }));
      const readResult = message(read).result!;
      expect(readResult.isError).toBe(true);
      expect(readResult._meta['csmcp/error']).toMatchObject({ code: 'INVALID_QUERY', message: expect.stringContaining('drop_table') });
      expect(readResult._meta['csmcp/error'].message).toContain('accepted:');

      const write = await writesNothing(() => send({ body: toolCall('create_cta', validCta({ drop_table: 'events' })) }));
      const writeResult = message(write).result!;
      expect(writeResult.isError).toBe(true);
      expect(writeResult._meta['csmcp/error'].code).toBe('VALIDATION');
      expect(JSON.stringify(writeResult._meta['csmcp/error'])).toContain('drop_table');
    });
  });

  describe('body size', () => {
    // A valid create_cta whose reason makes the body larger than 1 MiB: were it parsed, it would write.
    const oversize = () => JSON.stringify(toolCall('create_cta', validCta({ reason: 'x'.repeat(MIB + 16) })));

    it('over 1 MiB with Content-Length → 413, nothing written', async () => {
      const answer = await writesNothing(() => send({ body: oversize() }));
      expect(answer.status).toBe(413);
      expect(message(answer).error).toMatchObject({ code: -32000, message: expect.stringContaining('too large') });
    });

    it('over 1 MiB chunked (no Content-Length) → 413, nothing written', async () => {
      const answer = await writesNothing(() => send({ body: oversize(), chunked: true }));
      expect(answer.status).toBe(413);
      expect(message(answer).error).toMatchObject({ code: -32000, message: expect.stringContaining('too large') });
    });
  });

  describe('Host and Origin (DNS rebinding protection)', () => {
    it('Host: evil.example.com → 403 before auth (no token needed to be refused), and with a token', async () => {
      const anonymous = await writesNothing(() => send({ headers: { host: 'evil.example.com', authorization: null }, body: ping }));
      expect(anonymous.status).toBe(403);
      expect(anonymous.headers['www-authenticate']).toBeUndefined();
      expect(message(anonymous).error).toMatchObject({ code: -32000, message: expect.stringContaining('DNS rebinding') });

      const withToken = await writesNothing(() => send({ headers: { host: `evil.example.com:${port}` }, body: toolCall('create_cta', validCta()) }));
      expect(withToken.status).toBe(403);

      const loopbackName = await send({ headers: { host: `localhost:${port}` }, body: ping });
      expect(loopbackName.status).toBe(200);
    });

    it.each(['https://evil.example.com', 'http://localhost.evil.example.com', 'null'])('Origin %s → 403 (POST and preflight)', async (origin) => {
      const post = await writesNothing(() => send({ headers: { origin }, body: toolCall('create_cta', validCta()) }));
      expect(post.status).toBe(403);
      expect(message(post).error).toMatchObject({ code: -32000, message: expect.stringContaining('MCP_ALLOWED_ORIGINS') });
      expect(post.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await send({ method: 'OPTIONS', headers: { origin, authorization: null, 'access-control-request-method': 'POST' } });
      expect(preflight.status).toBe(403);
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    });

    it.each(['https://claude.ai', 'https://chatgpt.com', 'http://localhost:PORT', 'http://127.0.0.1:PORT', 'https://cs.example.org'])(
      'Origin %s (connectors, loopback, MCP_ALLOWED_ORIGINS) → passes, CORS allowed',
      async (template) => {
        const origin = template.replace('PORT', port);
        const answer = await send({ headers: { origin }, body: ping });
        expect(answer.status).toBe(200);
        expect(message(answer)).toMatchObject({ id: 1, result: {} });
        expect(answer.headers['access-control-allow-origin']).toBe(origin);
      },
    );
  });

  describe('CORS', () => {
    it('a preflight from https://claude.ai without a token → 204 with the headers a browser client needs', async () => {
      const answer = await send({
        method: 'OPTIONS',
        headers: {
          origin: 'https://claude.ai',
          authorization: null,
          'content-type': null,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, mcp-session-id, mcp-protocol-version',
        },
      });
      expect(answer.status).toBe(204);
      expect(answer.text).toBe('');
      expect(answer.headers['access-control-allow-origin']).toBe('https://claude.ai');
      const allowHeaders = String(answer.headers['access-control-allow-headers']).toLowerCase();
      for (const h of ['authorization', 'mcp-session-id', 'mcp-protocol-version', 'content-type', 'last-event-id']) expect(allowHeaders).toContain(h);
      expect(String(answer.headers['access-control-allow-methods'])).toMatch(/POST/);
    });

    it('actual responses expose WWW-Authenticate (on a 401) and Mcp-Session-Id (on initialize)', async () => {
      const unauthorized = await send({ headers: { origin: 'https://claude.ai', authorization: null }, body: ping });
      expect(unauthorized.status).toBe(401);
      expect(unauthorized.headers['access-control-allow-origin']).toBe('https://claude.ai');
      expect(String(unauthorized.headers['access-control-expose-headers']).toLowerCase()).toContain('www-authenticate');

      const init = await send({
        headers: { origin: 'https://claude.ai' },
        body: { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'browser', version: '1' } } },
      });
      expect(init.status).toBe(200);
      expect(init.headers['mcp-session-id']).toEqual(expect.any(String));
      expect(String(init.headers['access-control-expose-headers']).toLowerCase()).toContain('mcp-session-id');
    });
  });

  describe('authentication', () => {
    it('no token → 401 with WWW-Authenticate: Bearer resource_metadata=…', async () => {
      const answer = await writesNothing(() => send({ headers: { authorization: null }, body: toolCall('create_cta', validCta()) }));
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(
        `Bearer resource_metadata="http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp", scope="cs:read cs:write"`,
      );
      expect(JSON.parse(answer.text)).toMatchObject({ error: 'unauthorized' });
    });

    it.each([
      ['a made-up token', 'csmcp_pat_' + 'A'.repeat(43)],
      ['a malformed token', 'not-a-token'],
    ])('%s → 401 invalid_token', async (_what, token) => {
      const answer = await writesNothing(() => send({ headers: { authorization: `Bearer ${token}` }, body: toolCall('create_cta', validCta()) }));
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="[^"]+", scope="cs:read cs:write", resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"$/);
      expect(answer.text).not.toContain(token);
      expect(JSON.parse(answer.text)).toMatchObject({ error: 'invalid_token' });
    });

    it('a token revoked with `csmcp tokens revoke` → 401 invalid_token (it worked before)', async () => {
      const issued = await csmcp.cli(['tokens', 'issue', '--user', csmcp.user.email, '--scopes', 'cs:read cs:write', '--ttl', '1h', '--name', 'to-revoke', '--json']);
      expect(issued.code).toBe(0);
      const { token, token_id } = JSON.parse(issued.stdout) as { token: string; token_id: string };
      expect((await send({ headers: { authorization: `Bearer ${token}` }, body: ping })).status).toBe(200);
      const revoked = await csmcp.cli(['tokens', 'revoke', token_id]);
      expect(revoked.code).toBe(0);
      // A server trusts a verification up to 1 s (VERIFICATION_CACHE_MS): ping until the revocation shows.
      for (let attempt = 0; attempt < 50; attempt++) {
        if ((await send({ headers: { authorization: `Bearer ${token}` }, body: ping })).status !== 200) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const answer = await writesNothing(() => send({ headers: { authorization: `Bearer ${token}` }, body: toolCall('create_cta', validCta()) }));
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toMatch(/error="invalid_token"/);
      expect(JSON.parse(answer.text)).toMatchObject({ error: 'invalid_token', error_description: expect.stringMatching(/revoked/i) });
    });
  });

  describe('protocol version and sessions', () => {
    it('an MCP-Protocol-Version csmcp does not speak → 400 listing the supported ones', async () => {
      const answer = await writesNothing(() => send({ headers: { 'mcp-protocol-version': '1999-01-01' }, body: toolCall('create_cta', validCta()) }));
      expect(answer.status).toBe(400);
      expect(message(answer).error).toMatchObject({ code: -32000, message: expect.stringContaining('2025-11-25') });
    });

    it('an unknown session id → 404, -32001', async () => {
      const answer = await writesNothing(() =>
        send({ headers: { 'mcp-session-id': '00000000-0000-4000-8000-000000000000', 'mcp-protocol-version': '2025-11-25' }, body: toolCall('create_cta', validCta()) }),
      );
      expect(answer.status).toBe(404);
      expect(message(answer).error).toMatchObject({ code: -32001 });
    });

    it.each(['GET', 'DELETE'])('%s without a session → 405, Allow: POST', async (method) => {
      const answer = await writesNothing(() => send({ method, headers: { 'content-type': null } }));
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('POST');
      expect(message(answer).error).toMatchObject({ code: -32000 });
    });

    it('initialize with an Mcp-Session-Id → 400, -32600', async () => {
      const sessionId = await openSession();
      const answer = await writesNothing(() =>
        send({
          headers: { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
          body: { jsonrpc: '2.0', id: 9, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'again', version: '1' } } },
        }),
      );
      expect(answer.status).toBe(400);
      expect(message(answer).error).toMatchObject({ code: -32600 });
    });
  });

  describe('batches (JSON arrays)', () => {
    // JSON-RPC batching left MCP in 2025-06-18 (the POST body "MUST be a single JSON-RPC request,
    // notification, or response"); 2025-03-26 allowed it. The SDK's transport serves a batch in every
    // version, so csmcp must refuse one itself where the version has no batches.
    const batch = (write: Record<string, unknown>) => [toolCall('create_cta', write, 1), { jsonrpc: '2.0', id: 2, method: 'ping' }];

    /** Status, JSON-RPC error code and events written, in one comparison so a failure shows all three. */
    async function outcome(options: Send) {
      const before = csmcp.eventCount();
      const answer = await send(options);
      let code: number | undefined;
      try {
        code = message(answer).error?.code;
      } catch {
        code = undefined;
      }
      return { status: answer.status, code, eventsWritten: csmcp.eventCount() - before, body: answer.text.slice(0, 400) };
    }

    function expectRefusedBatch(result: Awaited<ReturnType<typeof outcome>>): void {
      const { body, ...seen } = result;
      if (seen.status !== 400 || seen.code !== -32600 || seen.eventsWritten !== 0)
        throw new Error(`expected 400, JSON-RPC -32600 and no event written; got ${JSON.stringify(seen)}, body: ${body}`);
      expect(seen).toEqual({ status: 400, code: -32600, eventsWritten: 0 });
    }

    it('stateless with MCP-Protocol-Version 2025-11-25: refused (400, -32600), nothing written', async () => {
      const result = await outcome({ headers: { 'mcp-protocol-version': '2025-11-25' }, body: batch(validCta({ name: 'Written by a stateless batch' })) });
      expectRefusedBatch(result);
    });

    it('in a 2025-11-25 session: refused (400, -32600), nothing written', async () => {
      const sessionId = await openSession('2025-11-25');
      const result = await outcome({ headers: { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' }, body: batch(validCta({ name: 'Written by a session batch' })) });
      expectRefusedBatch(result);
    });

    it('in a 2025-03-26 session (batches allowed then): no 5xx, each message answered, the invalid write in it writes nothing', async () => {
      const sessionId = await openSession('2025-03-26');
      const answer = await writesNothing(() => send({ headers: { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-03-26' }, body: batch(validCta({ due_date: 42 })) }));
      expect(answer.status).toBe(200);
      const messages = [...answer.text.matchAll(/^data: ?(\{.*)$/gm)].map((m) => JSON.parse(m[1]) as { id: number; result: Record<string, any> });
      expect(messages.map((m) => m.id).sort()).toEqual([1, 2]);
      expect(messages.find((m) => m.id === 1)!.result).toMatchObject({ isError: true, _meta: { 'csmcp/error': { code: 'VALIDATION' } } });
    });
  });

  it('no answer of this file was a 5xx, a stack trace or SQL', () => {
    expect(answers.length).toBeGreaterThan(40);
    for (const { answer } of answers) expectClean(answer);
  });
});
