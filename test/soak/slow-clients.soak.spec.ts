/**
 * Slow clients (issue 9, Faults): 200 idle SSE streams (Streamable HTTP GET streams of their own
 * sessions, and legacy HTTP+SSE streams) spread over several users, plus readers that send a pile of
 * requests and never read the answers (the server's writes to them back up: TCP backpressure), must
 * not stop other users being served: their reads and writes through the SDK client still succeed,
 * /readyz stays green, the process stays up. The per-user stream limit answers 429 with a clear
 * error once a user has all the streams it may have.
 */
import { connect, type Socket } from 'node:net';
import { startServerProcess, type ServerProcess } from '../support/cli';
import { connectStreamable, rawSession, sseReader, type ConnectedClient } from '../support/mcp-clients';
import { sqliteStore, untilCaughtUp } from '../support/mcp-stack';
import { FaultLoad, sleep, summarize } from './support/fault-load';
import { seedFaultBook, type FaultPerson } from './support/fault-seed';
import { soakScale, soakTimeout } from './support/soak-mode';

const USERS = 5;
/** Per user, of each kind: 5 users × (20 + 20) = 200 idle streams, each user at its stream limit (MCP_MAX_STREAMS_PER_USER, set to 40 below). */
const STREAMS_PER_USER = 20;
const SLOW_READERS = soakScale(10, 40);
/** Requests each slow reader sends without reading a byte back. */
const PIPELINED = soakScale(100, 400);
const PROBE_MS = soakScale(3_000, 20_000);

describe('slow clients: idle SSE streams and readers that never read', () => {
  const store = sqliteStore();
  let server: ServerProcess;
  let starting: Promise<ServerProcess> | undefined;
  let people: FaultPerson[];
  const streams: Array<{ cancel(): Promise<unknown> }> = [];
  const sockets: Socket[] = [];
  const connected: ConnectedClient[] = [];
  const figures: Record<string, unknown> = {};

  beforeAll(async () => {
    people = await seedFaultBook(store, { extraUsers: USERS - 2 });
    // Room for this test's streams and sessions per user (the defaults are 16 and 32): the point here is
    // that idle streams do not hurt others, not the limits, whose refusal is checked once below.
    starting = startServerProcess({ ...store.env, MCP_MAX_STREAMS_PER_USER: String(2 * STREAMS_PER_USER), MCP_MAX_SESSIONS_PER_USER: '64' }, 90_000);
    server = await starting;
    await untilCaughtUp(server.url, 90_000);
  }, 400_000);

  afterAll(async () => {
    try {
      console.log(`slow-clients figures:\n${JSON.stringify(figures, null, 2)}`);
      for (const socket of sockets) socket.destroy();
      await Promise.allSettled(streams.map((s) => s.cancel()));
      await Promise.allSettled(connected.map((c) => c.close()));
      await (await starting?.catch(() => undefined))?.stop();
    } finally {
      await store.dispose();
    }
  }, 150_000);

  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  it('200 idle streams and readers that never read do not stop other users being served', async () => {
    // 100 Streamable HTTP sessions, each with its GET stream open and never read.
    for (const person of people)
      for (let i = 0; i < STREAMS_PER_USER; i++) {
        const headers = await rawSession(`${server.url}/mcp`, person.token);
        const response = await fetch(`${server.url}/mcp`, { headers: { ...auth(person.token), ...headers, accept: 'text/event-stream' } });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
        streams.push(sseReader(response));
      }
    // 100 legacy SSE streams: the first event (the endpoint) read, then left idle.
    for (const person of people)
      for (let i = 0; i < STREAMS_PER_USER; i++) {
        const response = await fetch(`${server.url}/sse`, { headers: { ...auth(person.token), accept: 'text/event-stream' } });
        expect(response.status).toBe(200);
        const reader = sseReader(response);
        streams.push(reader);
        expect(await reader.next()).toMatchObject({ event: 'endpoint' });
      }
    expect(streams).toHaveLength(2 * USERS * STREAMS_PER_USER);
    figures.idleStreams = streams.length;

    // One more stream for a user at the limit: refused, clearly (429, what the limit is).
    const overCap = await fetch(`${server.url}/sse`, { headers: { ...auth(people[2].token), accept: 'text/event-stream' } });
    expect(overCap.status).toBe(429);
    expect(await overCap.text()).toMatch(/Too many open SSE streams/);

    // Slow readers: a pile of pipelined tools/list on one connection each, and not a byte read back.
    const { host, port } = new URL(server.url);
    let sentBytes = 0;
    for (let r = 0; r < SLOW_READERS; r++) {
      const person = people[2 + (r % (USERS - 2))];
      const session = await rawSession(`${server.url}/mcp`, person.token);
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
      const request = [
        `POST /mcp HTTP/1.1`,
        `host: ${host}`,
        `authorization: Bearer ${person.token}`,
        `content-type: application/json`,
        `accept: application/json, text/event-stream`,
        ...Object.entries(session).map(([k, v]) => `${k}: ${v}`),
        `content-length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ].join('\r\n');
      const socket = connect({ host: host.split(':')[0], port: Number(port) });
      socket.on('error', () => undefined);
      socket.pause();
      sockets.push(socket);
      for (let i = 0; i < PIPELINED; i++) socket.write(request);
      sentBytes += PIPELINED * Buffer.byteLength(request);
    }
    figures.slowReaders = SLOW_READERS;
    figures.pipelinedRequestsPerReader = PIPELINED;

    // Meanwhile the two users who own companies read and write through the SDK client, as usual.
    for (const person of people.slice(0, 2)) connected.push(await connectStreamable(`${server.url}/mcp`, person.token));
    const load = new FaultLoad(people.slice(0, 2).map((p, i) => ({ client: connected[i].client, companies: p.companies })));
    load.start('beside slow clients');
    await sleep(PROBE_MS);
    await load.stop();
    const served = summarize(load.calls);
    figures.otherUsersCalls = served;
    expect(load.calls.filter((c) => c.outcome !== 'ok')).toEqual([]);
    expect(served.ok).toBeGreaterThan(0);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(server.child.exitCode).toBeNull();
    // The slow readers are still connected, having read nothing: each tools/list answer is tens of
    // KB, so what is owed to them is more than socket buffers take and the server's writes back up.
    expect(sockets.every((s) => !s.destroyed)).toBe(true);
    figures.slowReaderRequestBytes = sentBytes;

    // Every acknowledged write is visible to its owner.
    const visible = new Map<string, Set<string>>();
    for (const w of load.writes) {
      const owner = connected[people.findIndex((p) => p.companies.includes(w.companyId))].client;
      if (!visible.has(w.companyId)) visible.set(w.companyId, await load.ctaNames(owner, w.companyId));
      expect([w.name, visible.get(w.companyId)!.has(w.name)]).toEqual([w.name, true]);
    }
  }, soakTimeout(300_000, 600_000));
});
