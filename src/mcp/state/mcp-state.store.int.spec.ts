import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { PostgresReadModelDatabase, SqliteReadModelDatabase } from '@csmcp/projections';
import { DATABASE_URL, dropSchema, freshSchemaName } from '../../../libs/projections/test/support/postgres';
import { McpStateStore } from './mcp-state.store';

const message = (id: number): JSONRPCMessage => ({ jsonrpc: '2.0', id, result: { n: id } });

describe.each(['sqlite', 'postgres'] as const)('McpStateStore (%s)', (kind) => {
  let store: McpStateStore;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    if (kind === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'csmcp-mcp-state-'));
      store = new McpStateStore(new SqliteReadModelDatabase({ filename: join(dir, 'mcp-state.db') }));
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    } else {
      const schema = freshSchemaName('mcp_state');
      store = new McpStateStore(new PostgresReadModelDatabase({ connectionString: DATABASE_URL, schema }));
      cleanup = () => dropSchema(schema);
    }
    await store.setup();
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it('keeps a session with its user and initialize params, and forgets it when closed', async () => {
    const params = { protocolVersion: '2025-06-18', capabilities: { elicitation: {} }, clientInfo: { name: 'c', version: '1' } };
    await store.createSession({ sessionId: 's-1', userId: 'u-ann', protocolVersion: '2025-06-18', initializeParams: params });
    expect(await store.findSession('s-1')).toEqual({
      sessionId: 's-1',
      userId: 'u-ann',
      protocolVersion: '2025-06-18',
      initializeParams: params,
      lastWrite: null,
      closed: false,
    });
    expect(await store.findSession('s-unknown')).toBeNull();
    await store.closeSession('s-1');
    expect((await store.findSession('s-1'))?.closed).toBe(true);
  });

  it("records a session's last write, never moving it backwards", async () => {
    await store.createSession({ sessionId: 's-1', userId: 'u', protocolVersion: '2025-11-25', initializeParams: {} });
    await store.recordWrite('s-1', { commit: 10, prepare: 10 });
    await store.recordWrite('s-1', { commit: 7, prepare: 7 });
    expect((await store.findSession('s-1'))?.lastWrite).toEqual({ commit: 10, prepare: 10 });
    await store.recordWrite('s-1', { commit: 12, prepare: 3 });
    expect((await store.findSession('s-1'))?.lastWrite).toEqual({ commit: 12, prepare: 3 });
  });

  it("replays a stream's messages after an event id, only within its own session and stream", async () => {
    const mine = store.resumability('s-1');
    const theirs = store.resumability('s-2');
    const first = await mine.storeEvent('stream-a', message(1));
    await mine.storeEvent('stream-b', message(2));
    await theirs.storeEvent('stream-a', message(3));
    await mine.storeEvent('stream-a', message(4));
    await mine.storeEvent('stream-a', message(5));

    const replayed: Array<[string, JSONRPCMessage]> = [];
    const streamId = await mine.replayEventsAfter(first, { send: async (id, m) => void replayed.push([id, m]) });
    expect(streamId).toBe('stream-a');
    expect(replayed.map(([, m]) => m)).toEqual([message(4), message(5)]);
    expect(await mine.getStreamIdForEventId!(first)).toBe('stream-a');

    // Another session presenting this session's event id is refused and gets nothing.
    expect(await theirs.getStreamIdForEventId!(first)).toBeUndefined();
    const leaked: JSONRPCMessage[] = [];
    await expect(theirs.replayEventsAfter(first, { send: async (_id, m) => void leaked.push(m) })).rejects.toThrow('not an event of this session');
    expect(leaked).toEqual([]);
    await expect(mine.replayEventsAfter('garbage', { send: async () => {} })).rejects.toThrow('Last-Event-ID');
  });

  it('confirms exactly one call: same user, tool and arguments (in any key order), once', async () => {
    const args = { company_id: 'c-1', name: 'Renewal risk', type: 'Risk' };
    const token = await store.issueConfirmation('u-ann', 'create_cta', args);
    expect(token).toMatch(/^csmcp_confirm_[A-Za-z0-9_-]{32}$/);

    expect(await store.redeemConfirmation(token, 'u-bob', 'create_cta', args)).toMatch('not one this server gave you');
    expect(await store.redeemConfirmation(token, 'u-ann', 'update_cta', args)).toMatch('given for create_cta, not update_cta');
    expect(await store.redeemConfirmation(token, 'u-ann', 'create_cta', { ...args, name: 'Other' })).toMatch('arguments differ');
    expect(await store.redeemConfirmation(token, 'u-ann', 'create_cta', { type: 'Risk', name: 'Renewal risk', company_id: 'c-1' })).toBeNull();
    expect(await store.redeemConfirmation(token, 'u-ann', 'create_cta', args)).toMatch('already used');
  });

  it('lets only one of many simultaneous redemptions of a token through', async () => {
    const token = await store.issueConfirmation('u-ann', 'create_cta', { a: 1 });
    const answers = await Promise.all(Array.from({ length: 10 }, () => store.redeemConfirmation(token, 'u-ann', 'create_cta', { a: 1 })));
    expect(answers.filter((a) => a === null)).toHaveLength(1);
  });

  it('sweeps stream events after an hour and idle sessions after a day', async () => {
    await store.createSession({ sessionId: 's-1', userId: 'u', protocolVersion: '2025-11-25', initializeParams: {} });
    const events = store.resumability('s-1');
    const first = await events.storeEvent('a', message(1));
    await events.storeEvent('a', message(2));
    await store.sweep(Date.now() + 2 * 60 * 60_000);
    const replayed: JSONRPCMessage[] = [];
    await expect(events.replayEventsAfter(first, { send: async (_id, m) => void replayed.push(m) })).rejects.toThrow('can still be replayed');
    expect(replayed).toEqual([]);
    expect(await store.findSession('s-1')).not.toBeNull();
    await store.sweep(Date.now() + 25 * 60 * 60_000);
    expect(await store.findSession('s-1')).toBeNull();
  });
});
