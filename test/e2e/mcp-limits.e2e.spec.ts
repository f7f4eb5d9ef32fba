/**
 * Limits per user on MCP sessions and streams (issue 9), against `csmcp serve` on PostgreSQL over
 * real HTTP: MCP_MAX_SESSIONS_PER_USER closes a user's least recently used session when they open
 * one more (another user's sessions untouched); MCP_MAX_STREAMS_PER_USER refuses one more open SSE
 * stream (Streamable HTTP GET or legacy SSE) with 429 + Retry-After and says why, and admits it
 * again once a stream closes. Also the pooled stateless path: concurrent calls with the same
 * JSON-RPC id each get their own answer.
 */
import { startServerProcess, type ServerProcess } from '../support/cli';
import { rawPost, rawSession, rpcAnswer, toolCallMessage } from '../support/mcp-clients';
import { postgresStore, seedBook, untilCaughtUp, type McpBook } from '../support/mcp-stack';

const SESSIONS = 3;
const STREAMS = 2;

describe('MCP limits per user: sessions and streams (csmcp serve, PostgreSQL)', () => {
  const store = postgresStore('mcp_limits_e2e');
  let server: ServerProcess;
  let book: McpBook;
  const open: AbortController[] = [];
  const mcp = () => `${server.url}/mcp`;

  beforeAll(async () => {
    book = await seedBook(store, 10);
    server = await startServerProcess({ ...store.env, MCP_MAX_SESSIONS_PER_USER: String(SESSIONS), MCP_MAX_STREAMS_PER_USER: String(STREAMS) }, 120_000);
    await untilCaughtUp(server.url, 120_000);
  }, 300_000);

  afterAll(async () => {
    try {
      for (const stream of open) stream.abort();
      await server?.stop();
    } finally {
      await store.dispose();
    }
  }, 60_000);

  /** tools/list in a session: its HTTP status (404 once the session is closed). */
  async function statusIn(session: Record<string, string>, token = book.ann.token): Promise<number> {
    const response = await rawPost(mcp(), token, { jsonrpc: '2.0', id: 7, method: 'tools/list' }, session);
    await response.text();
    return response.status;
  }

  /** A GET stream held open until aborted (afterAll aborts what is left). */
  async function getStream(session: Record<string, string>, token = book.ann.token): Promise<{ response: Response; close(): void }> {
    const controller = new AbortController();
    open.push(controller);
    const response = await fetch(mcp(), {
      method: 'GET',
      headers: { accept: 'text/event-stream', authorization: `Bearer ${token}`, ...session },
      signal: controller.signal,
    });
    return { response, close: () => controller.abort() };
  }

  it(`keeps at most ${SESSIONS} sessions per user: one more closes the least recently used, not another user's`, async () => {
    const bobs = await rawSession(mcp(), book.bob.token);
    const anns: Array<Record<string, string>> = [];
    for (let i = 0; i < SESSIONS; i++) anns.push(await rawSession(mcp(), book.ann.token));
    for (const session of anns) expect(await statusIn(session)).toBe(200);

    const newest = await rawSession(mcp(), book.ann.token);
    expect(await statusIn(newest)).toBe(200);
    const first = await rawPost(mcp(), book.ann.token, { jsonrpc: '2.0', id: 8, method: 'tools/list' }, anns[0]);
    expect(first.status).toBe(404);
    expect(((await first.json()) as { error: { code: number; message: string } }).error).toMatchObject({ code: -32001, message: expect.stringContaining('initialize') });
    for (const session of anns.slice(1)) expect(await statusIn(session)).toBe(200);
    expect(await statusIn(bobs, book.bob.token)).toBe(200);
  }, 120_000);

  it(`refuses a user's stream beyond ${STREAMS} with 429 and Retry-After (GET and legacy SSE), and admits one again when a stream closes`, async () => {
    const sessions = [await rawSession(mcp(), book.ann.token), await rawSession(mcp(), book.ann.token), await rawSession(mcp(), book.ann.token)];
    const first = await getStream(sessions[0]);
    const second = await getStream(sessions[1]);
    expect([first.response.status, second.response.status]).toEqual([200, 200]);
    expect(first.response.headers.get('content-type')).toContain('text/event-stream');

    const third = await getStream(sessions[2]);
    expect(third.response.status).toBe(429);
    expect(third.response.headers.get('retry-after')).toBe('10');
    const refusal = (await third.response.json()) as { error: { code: number; message: string } };
    expect(refusal.error.code).toBe(-32000);
    expect(refusal.error.message).toContain(`at most ${STREAMS} at once`);
    expect(refusal.error.message).toContain('MCP_MAX_STREAMS_PER_USER');

    // Legacy SSE streams count against the same limit.
    const legacy = await fetch(`${server.url}/sse`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${book.ann.token}` } });
    expect(legacy.status).toBe(429);
    expect(legacy.headers.get('retry-after')).toBe('10');
    await legacy.text();

    // Requests that are not streams go on, and other users' streams are theirs.
    expect(await statusIn(sessions[2])).toBe(200);
    const bobs = await getStream(await rawSession(mcp(), book.bob.token), book.bob.token);
    expect(bobs.response.status).toBe(200);

    // A stream closing frees its place (the server sees the close shortly after the client aborts).
    first.close();
    let again = await getStream(sessions[2]);
    for (let attempt = 0; again.response.status === 429 && attempt < 50; attempt++) {
      await again.response.text();
      await new Promise((resolve) => setTimeout(resolve, 100));
      again = await getStream(sessions[2]);
    }
    expect(again.response.status).toBe(200);
  }, 120_000);

  it('answers concurrent stateless calls that share a JSON-RPC id each with its own result', async () => {
    const companies = book.annCompanies.slice(0, 4);
    const answers = await Promise.all(
      companies.map(async (companyId) => rpcAnswer(await rawPost(mcp(), book.ann.token, toolCallMessage('get_company', { company_id: companyId }, 1)))),
    );
    answers.forEach((answer, i) => {
      expect(answer.id).toBe(1);
      const result = answer.result as { isError?: boolean; structuredContent: Record<string, unknown> };
      expect(result.isError).not.toBe(true);
      expect(JSON.stringify(result.structuredContent)).toContain(companies[i]);
    });
  }, 120_000);
});
