/**
 * A load of MCP reads and writes from real SDK clients for the fault specs, with every call's
 * outcome and latency kept: ok, refused as temporarily unavailable (a tool error UNAVAILABLE, or
 * HTTP 503 on the transport), or anything else (which a fault spec treats as a defect).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export type Outcome = 'ok' | 'unavailable' | 'other';

export interface CallRecord {
  readonly tool: string;
  readonly outcome: Outcome;
  readonly ms: number;
  /** What came back when it was not ok: the tool error or the thrown error, for a failing test to show. */
  readonly detail?: string;
}

export interface WriteAttempt {
  readonly name: string;
  readonly companyId: string;
  readonly idempotencyKey: string;
  readonly outcome: Outcome;
}

/** A call that takes longer than this is a hang: the SDK gives up on it (RequestTimeout), and the spec fails. */
export const HANG_MS = 60_000;

/** Says whether a refused call said clearly that the store is temporarily unavailable. */
function classify(result: CallToolResult | null, thrown: unknown): { outcome: Outcome; detail?: string } {
  if (thrown !== undefined) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    // The SDK transport's StreamableHTTPError carries the HTTP status as its code and the body in its message.
    const status = (thrown as { code?: unknown }).code;
    if (status === 503 && /temporarily[ _]unavailable/i.test(message)) return { outcome: 'unavailable', detail: message };
    return { outcome: 'other', detail: message };
  }
  if (!result!.isError) return { outcome: 'ok' };
  const error = (result!._meta as { 'csmcp/error'?: { code: string; message: string } } | undefined)?.['csmcp/error'];
  const detail = JSON.stringify(error ?? result!.content);
  if (error?.code === 'UNAVAILABLE' && /temporarily unavailable/i.test(error.message)) return { outcome: 'unavailable', detail };
  return { outcome: 'other', detail };
}

export class FaultLoad {
  readonly calls: CallRecord[] = [];
  readonly writes: WriteAttempt[] = [];
  private running = false;
  private workers: Promise<void>[] = [];

  constructor(private readonly actors: ReadonlyArray<{ client: Client; companies: readonly string[] }>) {}

  async call(client: Client, tool: string, args: Record<string, unknown>): Promise<{ record: CallRecord; result: CallToolResult | null }> {
    const started = Date.now();
    let result: CallToolResult | null = null;
    let thrown: unknown;
    try {
      result = (await client.callTool({ name: tool, arguments: args }, undefined, { timeout: HANG_MS })) as CallToolResult;
    } catch (error) {
      thrown = error;
    }
    const record = { tool, ms: Date.now() - started, ...classify(result, thrown) };
    this.calls.push(record);
    return { record, result };
  }

  /** The names of every CTA of a company its owner's `client` lists, page after page (a long run passes 100). */
  async ctaNames(client: Client, companyId: string): Promise<Set<string>> {
    const names = new Set<string>();
    let cursor: string | null = null;
    do {
      const { result } = await this.call(client, 'list_ctas', { company_id: companyId, limit: 100, ...(cursor ? { cursor } : {}) });
      const page = result?.structuredContent as { items: Array<{ name: string }>; next_cursor: string | null };
      for (const cta of page.items) names.add(cta.name);
      cursor = page.next_cursor;
    } while (cursor);
    return names;
  }

  /** One write of a new CTA, remembered with its idempotency key so a spec can retry it or look for it. */
  async write(client: Client, companyId: string, tag: string): Promise<WriteAttempt> {
    const name = `${tag} ${randomUUID().slice(0, 8)}`;
    const idempotencyKey = `fault-${randomUUID()}`;
    const { record } = await this.call(client, 'create_cta', { company_id: companyId, name, type: 'Risk', idempotency_key: idempotencyKey });
    const attempt = { name, companyId, idempotencyKey, outcome: record.outcome };
    this.writes.push(attempt);
    return attempt;
  }

  /** Each actor runs a writer and a reader, back to back, until stop(). */
  start(tag: string): void {
    if (this.running) throw new Error('the load is already running');
    this.running = true;
    this.workers = this.actors.flatMap(({ client, companies }, a) => [
      (async () => {
        for (let i = 0; this.running; i++) await this.write(client, companies[i % companies.length], `${tag} ${a}`);
      })(),
      (async () => {
        for (let i = 0; this.running; i++) {
          const companyId = companies[i % companies.length];
          await this.call(client, i % 2 === 0 ? 'get_company' : 'list_ctas', i % 2 === 0 ? { company_id: companyId } : { company_id: companyId, limit: 20 });
        }
      })(),
    ]);
  }

  /** Stops the workers and waits for the calls in flight to end. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
    this.workers = [];
  }

  /** Calls recorded from index `from` on. */
  since(from: number): CallRecord[] {
    return this.calls.slice(from);
  }
}

export function summarize(records: readonly CallRecord[]) {
  const count = (o: Outcome) => records.filter((r) => r.outcome === o).length;
  return {
    calls: records.length,
    ok: count('ok'),
    unavailable: count('unavailable'),
    other: count('other'),
    maxMs: records.reduce((m, r) => Math.max(m, r.ms), 0),
    maxFailedMs: records.filter((r) => r.outcome !== 'ok').reduce((m, r) => Math.max(m, r.ms), 0),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
