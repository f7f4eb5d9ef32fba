/**
 * Two `csmcp serve` processes on the same PostgreSQL schema, as behind a load balancer without
 * sticky sessions: a Streamable HTTP session opened on one is served by the other (restored from the
 * shared state store), writes through either land exactly once, and when one instance dies the
 * session goes on on the other.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startServerProcess, type ServerProcess } from '../support/cli';
import {
  callTool,
  connectStreamable,
  rawPost,
  rawSession,
  rpcAnswer,
  sseReader,
  toolCallMessage,
  toolError,
  type ConnectedClient,
} from '../support/mcp-clients';
import { postgresStore, seedBook, setPolicy, untilCaughtUp, type McpBook } from '../support/mcp-stack';

type Structured = Record<string, unknown>;

describe('one MCP session across two csmcp instances on the same PostgreSQL schema', () => {
  const store = postgresStore('mcp_e2e');
  let a: ServerProcess;
  let b: ServerProcess;
  let book: McpBook;
  const clients: ConnectedClient[] = [];
  /** ann's session, opened on A. */
  let onA: ConnectedClient & { transport: { sessionId?: string } };
  /** The same session, sent to B. */
  let onB: Client;
  let sessionId: string;
  const written: string[] = [];

  async function track<T extends ConnectedClient>(connecting: Promise<T>): Promise<T> {
    const connected = await connecting;
    clients.push(connected);
    return connected;
  }
  async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Structured> {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    expect(result.isError).not.toBe(true);
    return result.structuredContent as Structured;
  }
  const unique = (what: string) => `${what} ${randomUUID().slice(0, 8)}`;
  const ctaNames = async (client: Client, companyId: string) =>
    ((await call(client, 'list_ctas', { company_id: companyId, limit: 100 })).items as Array<{ name: string }>).map((c) => c.name);

  beforeAll(async () => {
    book = await seedBook(store);
    [a, b] = await Promise.all([startServerProcess(store.env), startServerProcess(store.env)]);
    await Promise.all([untilCaughtUp(a.url), untilCaughtUp(b.url)]);
  }, 120_000);

  afterAll(async () => {
    try {
      // Clients first: a server does not stop while an MCP stream is open (see mcp-client.e2e.spec.ts).
      await Promise.allSettled(clients.map((c) => c.close()));
      await Promise.allSettled([a?.stop(), b?.stop()]);
    } finally {
      await store.dispose();
    }
  }, 60_000);

  it('serves on B a session opened on A, and writes through both are all present exactly once', async () => {
    onA = await track(connectStreamable(`${a.url}/mcp`, book.ann.token));
    await onA.client.listTools();
    sessionId = onA.transport.sessionId!;
    const companyId = book.annCompanies[0];

    const first = unique('Via A');
    const viaA = await call(onA.client, 'create_cta', { company_id: companyId, name: first, type: 'Risk' });
    written.push(first);

    // The SDK client joins the existing session on B: no initialize, the same Mcp-Session-Id.
    const joined = await track(connectStreamable(`${b.url}/mcp`, book.ann.token, { sessionId }));
    onB = joined.client;
    expect(joined.transport.sessionId).toBe(sessionId);
    expect((await onB.listTools()).tools).toHaveLength(20);
    // B reads A's write at once: the session's last write is in the shared state store.
    expect(await call(onB, 'get_cta', { cta_id: viaA.entity_id })).toMatchObject({ name: first });

    const second = unique('Via B');
    const viaB = await call(onB, 'create_cta', { company_id: companyId, name: second, type: 'Risk' });
    written.push(second);
    expect(await call(onB, 'get_cta', { cta_id: viaB.entity_id })).toMatchObject({ name: second });
    // ...and A reads B's write at once, in the same session.
    expect(await call(onA.client, 'get_cta', { cta_id: viaB.entity_id })).toMatchObject({ name: second });

    // A raw tools/call with that Mcp-Session-Id, sent to B's URL.
    const raw = await rawPost(`${b.url}/mcp`, book.ann.token, toolCallMessage('get_cta', { cta_id: viaA.entity_id }, 7), {
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-11-25',
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('mcp-session-id')).toBe(sessionId);
    expect(await rpcAnswer(raw)).toMatchObject({ id: 7, result: { structuredContent: { cta_id: viaA.entity_id, name: first } } });

    // An idempotent retry through the other instance writes nothing new.
    const args = { company_id: companyId, name: unique('Retried across instances'), type: 'Expansion', idempotency_key: randomUUID() };
    const once = await call(onA.client, 'create_cta', args);
    expect(await call(onB, 'create_cta', args)).toEqual({ ...once, replayed: true });
    written.push(args.name);

    for (const client of [onA.client, onB]) expect(await ctaNames(client, companyId)).toEqual(expect.arrayContaining(written));
    for (const name of written) expect([name, await store.events.count('CtaCreated', 'name', name)]).toEqual([name, 1]);
  });

  it("refuses ann's session to bob's token on the other instance too (403), serving nothing", async () => {
    const name = unique('Hijack on B');
    const response = await rawPost(`${b.url}/mcp`, book.bob.token, toolCallMessage('create_cta', { company_id: book.bobCompanies[0], name, type: 'Risk' }), {
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-11-25',
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { message: expect.stringMatching(/another user/) } });
    expect(await store.events.count('CtaCreated', 'name', name)).toBe(0);
  });

  describe('write confirmation across instances (policy confirmWrites: create_cta)', () => {
    beforeAll(async () => {
      await setPolicy(store, { confirmWrites: { create_cta: true } });
    }, 60_000);
    afterAll(async () => {
      await setPolicy(store, {});
    }, 60_000);

    it('spends a confirmation token issued on A once, on B, and refuses it again on A', async () => {
      const fresh = await track(connectStreamable(`${a.url}/mcp`, book.ann.token));
      const args = { company_id: book.annCompanies[1], name: unique('Confirmed across'), type: 'Risk' };
      // Both instances read the policy again within a second: wait until A asks for confirmation.
      let asked: CallToolResult;
      for (;;) {
        asked = await callTool(fresh.client, 'create_cta', args);
        if (asked.isError) break;
        // Written before the policy reached A: use another name and ask again.
        args.name = unique('Confirmed across');
        await new Promise((r) => setTimeout(r, 200));
      }
      const token = toolError(asked).confirmation_token as string;
      expect(toolError(asked).code).toBe('CONFIRMATION_REQUIRED');
      const onBToo = await track(connectStreamable(`${b.url}/mcp`, book.ann.token));
      const confirmed = await callTool(onBToo.client, 'create_cta', { ...args, confirmation_token: token });
      expect(confirmed.isError).not.toBe(true);
      expect(confirmed.structuredContent).toMatchObject({ entity_type: 'cta', replayed: false });
      expect(await store.events.count('CtaCreated', 'name', args.name)).toBe(1);
      expect(toolError(await callTool(fresh.client, 'create_cta', { ...args, confirmation_token: token }))).toMatchObject({ code: 'CONFIRMATION_INVALID' });
      expect(await store.events.count('CtaCreated', 'name', args.name)).toBe(1);
    });

    // B restores the session with the client's capabilities and asks on the call's own stream (a client
    // that moved its session to B has no standalone stream there). Bounded (timeout), so a lost question
    // fails the test instead of hanging the file.
    it('asks, through B, a client that can elicit and opened its session on A', async () => {
      const prompts: string[] = [];
      const capabilities = { elicitation: { form: {} } };
      const answering = (client: Client) =>
        client.setRequestHandler(ElicitRequestSchema, async (request) => {
          prompts.push((request.params as { message: string }).message);
          return { action: 'accept', content: { confirm: true } };
        });
      const opened = await track(connectStreamable(`${a.url}/mcp`, book.ann.token, { capabilities, setup: answering }));
      const joined = await track(connectStreamable(`${b.url}/mcp`, book.ann.token, { capabilities, setup: answering, sessionId: opened.transport.sessionId }));
      await joined.client.listTools();
      const elicited = { company_id: book.annCompanies[1], name: unique('Elicited on B'), type: 'Risk' };
      const result = (await joined.client.callTool({ name: 'create_cta', arguments: elicited }, undefined, { timeout: 10_000 })) as CallToolResult;
      expect(result.structuredContent).toMatchObject({ entity_type: 'cta' });
      expect(prompts).toEqual([expect.stringContaining(elicited.name)]);
      expect(await store.events.count('CtaCreated', 'name', elicited.name)).toBe(1);
    });
  });

  it('replays on B, with Last-Event-ID, a response stream A sent (the replay buffer is shared)', async () => {
    const headers = await rawSession(`${a.url}/mcp`, book.ann.token);
    const name = unique('Replayed on B');
    const response = await rawPost(`${a.url}/mcp`, book.ann.token, toolCallMessage('create_cta', { company_id: book.annCompanies[2], name, type: 'Risk' }, 'r-1'), headers);
    const stream = sseReader(response);
    const priming = await stream.next();
    expect(priming).toMatchObject({ id: expect.stringMatching(/:\d+$/), data: '' });
    // Read the answer on A to its end, so it is surely in the buffer; then ask B to replay it.
    const onA = await stream.nextMessage();
    expect(onA!.message).toMatchObject({ id: 'r-1', result: { structuredContent: { entity_type: 'cta' } } });
    const replay = await fetch(`${b.url}/mcp`, { headers: { authorization: `Bearer ${book.ann.token}`, accept: 'text/event-stream', ...headers, 'last-event-id': priming!.id! } });
    expect(replay.status).toBe(200);
    const replayed = sseReader(replay);
    const again = await replayed.nextMessage();
    await replayed.cancel();
    expect(again).toEqual(onA);
    expect(await store.events.count('CtaCreated', 'name', name)).toBe(1);
  });

  it('ends a session for every instance: DELETE on B, then A answers 404', async () => {
    const session = await track(connectStreamable(`${a.url}/mcp`, book.ann.token));
    await session.client.listTools();
    const headers = { 'mcp-session-id': session.transport.sessionId!, 'mcp-protocol-version': '2025-11-25' };
    const deleted = await fetch(`${b.url}/mcp`, { method: 'DELETE', headers: { authorization: `Bearer ${book.ann.token}`, ...headers } });
    expect(deleted.status).toBe(200);
    await deleted.text();
    const after = await rawPost(`${a.url}/mcp`, book.ann.token, toolCallMessage('search_companies', { limit: 1 }), headers);
    expect(after.status).toBe(404);
    await after.text();
  });

  it('keeps the session working on B after A is killed (SIGKILL); a write via B is readable right after via B', async () => {
    await a.stop('SIGKILL');
    await expect(onA.client.callTool({ name: 'search_companies', arguments: { limit: 1 } })).rejects.toThrow();

    const companyId = book.annCompanies[0];
    const name = unique('After A died');
    const created = await call(onB, 'create_cta', { company_id: companyId, name, type: 'Renewal' });
    written.push(name);
    expect(await call(onB, 'get_cta', { cta_id: created.entity_id })).toMatchObject({ name, status: 'New' });
    expect(await ctaNames(onB, companyId)).toEqual(expect.arrayContaining(written));

    // A client that was talking to A moves to B with its session id and carries on.
    const moved = await track(connectStreamable(`${b.url}/mcp`, book.ann.token, { sessionId }));
    await moved.client.listTools();
    expect(await call(moved.client, 'get_cta', { cta_id: created.entity_id })).toMatchObject({ name });
    for (const n of written) expect([n, await store.events.count('CtaCreated', 'name', n)]).toEqual([n, 1]);
  });
});
