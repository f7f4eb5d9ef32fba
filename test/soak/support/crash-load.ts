/**
 * A load of MCP writes for the crash soaks: a few writers, each with its own SDK client over
 * Streamable HTTP (a real bearer token), calling the write tools in a loop with a fresh idempotency
 * key per write and journalling every write (acked, refused, or unknown when the connection died
 * under it) so that the store can be checked against what the client was told.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CLIENT_INFO, type ConnectedClient } from '../../support/mcp-clients';
import type { WriteRecord } from './crash-checks';

/** The records a load can build on: CTAs and plans acked earlier (for updates and tasks). */
export interface LoadTargets {
  readonly companies: readonly string[];
  readonly ctas: string[];
  readonly plans: string[];
}

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)];

/** The next write: a create while there is little to update, then a mix of every write tool. */
function nextWrite(targets: LoadTargets, round: number, n: number): { tool: string; args: Record<string, unknown> } {
  const label = `r${round}-${n}-${randomUUID().slice(0, 6)}`;
  const company = pick(targets.companies);
  const roll = targets.ctas.length < 3 ? 0 : Math.random();
  if (roll < 0.3) return { tool: 'create_cta', args: { company_id: company, name: `Crash soak ${label}`, type: pick(['Risk', 'Expansion', 'Renewal', 'Activity']), priority: 'Medium', due_date: '2027-03-31' } };
  if (roll < 0.5) return { tool: 'update_cta', args: { cta_id: pick(targets.ctas), comments: `Update ${label}` } };
  if (roll < 0.65) return { tool: 'create_cta_task', args: { cta_id: pick(targets.ctas), title: `Task ${label}` } };
  if (roll < 0.8 || targets.plans.length === 0)
    return roll < 0.72 || targets.plans.length > 8
      ? { tool: 'create_timeline_activity', args: { company_id: company, type: pick(['Call', 'Meeting', 'Email']), subject: `Check-in ${label}`, notes: 'Adoption and renewal.' } }
      : { tool: 'create_success_plan', args: { company_id: company, name: `Plan ${label}` } };
  return { tool: 'update_success_plan', args: { success_plan_id: pick(targets.plans), description: `Revised ${label}` } };
}

/**
 * The calls in flight on each writer's client. The SDK reports a response stream cut by a dying
 * server only to `onerror` and leaves the call waiting for its timeout; behind a balancer the other
 * writers go on meanwhile (in the two-instances soak they spent the credits a stuck writer's user
 * needed), so a cut stream ends its client's calls at once instead, as unknown.
 */
const inFlight = new WeakMap<Client, Set<AbortController>>();

/** Calls a write and journals what came back; a thrown call (connection gone) leaves it unknown. */
export async function sendWrite(client: ConnectedClient, record: WriteRecord, targets?: LoadTargets, timeoutMs = 60_000): Promise<void> {
  let result: CallToolResult;
  const calls = inFlight.get(client.client);
  const call = new AbortController();
  calls?.add(call);
  try {
    result = (await client.client.callTool({ name: record.tool, arguments: { ...record.args, idempotency_key: record.key } }, undefined, { timeout: timeoutMs, signal: call.signal })) as CallToolResult;
  } catch (error) {
    record.state = 'unknown';
    record.error = String(error).slice(0, 300);
    return;
  } finally {
    calls?.delete(call);
  }
  if (result.isError) {
    record.state = 'refused';
    const error = (result._meta as { 'csmcp/error'?: { code: string; message: string } } | undefined)?.['csmcp/error'];
    record.error = error ? `${error.code}: ${error.message}` : JSON.stringify(result.content).slice(0, 300);
    return;
  }
  const structured = result.structuredContent as WriteRecord['result'];
  record.state = 'acked';
  delete record.error;
  record.result = { entity_id: structured!.entity_id, events: structured!.events, replayed: structured!.replayed };
  if (targets) {
    const list = record.tool === 'create_cta' ? targets.ctas : record.tool === 'create_success_plan' ? targets.plans : null;
    if (list && !list.includes(structured!.entity_id)) list.push(structured!.entity_id);
  }
}

export interface RunningLoad {
  /** Resolves once the first write of this load was acknowledged (or the load ended). */
  readonly firstAck: Promise<void>;
  /** Acknowledged writes so far. */
  readonly acked: () => number;
  /** True once every writer has returned. */
  readonly finished: () => boolean;
  /** Stops sending new writes; resolves when every writer has returned (its last call answered or failed). */
  stop(): Promise<void>;
  /**
   * After the server was killed: closes every client, so a call whose answer will never come fails
   * now (the SDK would otherwise wait for its timeout on a response stream cut in the middle).
   */
  abort(): Promise<void>;
}

/**
 * `writers` clients writing in a loop until stopped or until their connection dies; each write is
 * pushed to `journal` before it is sent. `connect` is called once per writer.
 */
export function startLoad(options: {
  writers: number;
  connect: (writer: number) => Promise<ConnectedClient>;
  /** What a writer writes to (one for all, or each writer its own: a user sees only their companies). */
  targets: LoadTargets | ((writer: number) => LoadTargets);
  journal: WriteRecord[];
  round: number;
  /** Keep writing on the same client after a call died (behind a load balancer the session lives on); default: stop. */
  continueAfterUnknown?: boolean;
  /** Stop a writer after this many refused writes (e.g. once its credits ran out); default: never. */
  maxRefusals?: number;
}): RunningLoad {
  let stopped = false;
  let ackCount = 0;
  let acked!: () => void;
  const firstAck = new Promise<void>((resolve) => (acked = resolve));
  const clients = new Set<ConnectedClient>();
  const writer = async (w: number) => {
    let client: ConnectedClient | null = null;
    try {
      client = await options.connect(w);
    } catch {
      return; // the server died before this writer connected
    }
    clients.add(client);
    if (stopped) await client.close().catch(() => undefined);
    const targets = typeof options.targets === 'function' ? options.targets(w) : options.targets;
    let refusals = 0;
    try {
      for (let n = 0; !stopped; n++) {
        const { tool, args } = nextWrite(targets, options.round, w * 100_000 + n);
        const record: WriteRecord = { key: randomUUID(), tool, args, round: options.round, writer: w, state: 'pending' };
        options.journal.push(record);
        await sendWrite(client, record, targets);
        if (record.state === 'acked') {
          ackCount++;
          acked();
        }
        if (record.state === 'refused' && ++refusals >= (options.maxRefusals ?? Infinity)) break;
        if (record.state === 'unknown' && !options.continueAfterUnknown) break; // the server is gone
      }
    } finally {
      await client.close().catch(() => undefined);
    }
  };
  let finished = false;
  const done = Promise.all(Array.from({ length: options.writers }, (_, w) => writer(w))).then(() => {
    finished = true;
    acked();
  });
  return {
    firstAck,
    acked: () => ackCount,
    finished: () => finished,
    stop: async () => {
      stopped = true;
      await done;
    },
    abort: async () => {
      stopped = true;
      await Promise.allSettled([...clients].map((c) => c.close()));
      await done;
    },
  };
}

/**
 * The SDK client over Streamable HTTP with a bearer token, a session of its own (or `sessionId`'s),
 * never trying to resume a cut response stream: in these soaks a cut stream means a killed server.
 */
export async function connectWriter(mcpUrl: string, token: string, sessionId?: string): Promise<ConnectedClient & { transport: StreamableHTTPClientTransport }> {
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
    // A connection per request: across 200 restarts a pooled keep-alive connection was now and then
    // closed by the server just as a request went out on it ("fetch failed: other side closed",
    // twice in the long SQLite run; most likely the idle-timeout race of keep-alive under load).
    requestInit: { headers: { Authorization: `Bearer ${token}`, Connection: 'close' } },
    reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 100, maxReconnectionDelay: 100, reconnectionDelayGrowFactor: 1 },
    ...(sessionId ? { sessionId } : {}),
  });
  // A dead server's cut stream reports here: its calls will never be answered, so they end now.
  const calls = new Set<AbortController>();
  inFlight.set(client, calls);
  client.onerror = (error) => {
    if (!/SSE stream disconnected|reconnection attempts/.test(error.message)) return;
    for (const call of calls) call.abort(error);
  };
  await client.connect(transport);
  return { client, transport, close: () => client.close() };
}
