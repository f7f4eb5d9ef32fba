/**
 * One bounded load run: autocannon against a started target at a given concurrency, every response
 * checked, latency taken per request from autocannon's hrtime (its own histogram keeps whole
 * milliseconds only, too coarse for sub-millisecond floors), server CPU read from /proc.
 */
import autocannon from 'autocannon';
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { latencyOf } from '../latency';
import { errorTotal, messagesOf, noErrors, verdictOf } from './responses';
import type { McpBudget, McpCall, McpMode, McpRun, StartedTarget } from './types';

/** What clients send on every POST (Streamable HTTP requires both media types in Accept). */
const BASE_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const PROTOCOL_VERSION = '2025-06-18';

/** JSON-RPC ids are unique across the whole bench: a request cut off at the end of a run may still be pending in a session. */
let nextRequestId = 1_000;
/** Each call's n for vary() runs on across the check, warm-ups, runs and modes: an update never repeats itself. */
const callCounters = new WeakMap<McpCall, number>();
function nextN(call: McpCall): number {
  const n = callCounters.get(call) ?? 0;
  callCounters.set(call, n + 1);
  return n;
}

export interface Session {
  /** Headers for every call in this mode: the session id and protocol version (none when stateless). */
  readonly headers: Record<string, string>;
  readonly sessionId: string | null;
}

/** initialize + notifications/initialized, as a client does once per session. */
export async function openSession(target: StartedTarget, mode: McpMode): Promise<Session> {
  if (mode === 'raw' || mode === 'stateless') return { headers: {}, sessionId: null };
  const post = (body: object, extra: Record<string, string> = {}) =>
    fetch(target.url, { method: 'POST', headers: { ...BASE_HEADERS, ...target.headers, ...extra }, body: JSON.stringify(body) });
  const init = await post({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'csmcp-bench', version: '1.0.0' } },
  });
  const text = await init.text();
  if (!init.ok) throw new Error(`initialize answered ${init.status}: ${shorten(text)}`);
  const sessionId = init.headers.get('mcp-session-id');
  if (!sessionId) throw new Error(`initialize answered ${init.status} without an Mcp-Session-Id header (a stateless server?): ${shorten(text)}`);
  const messages = messagesOf(text, init.headers.get('content-type') ?? undefined);
  const result = messages?.find((m): m is { result: { protocolVersion?: string } } => typeof m === 'object' && m !== null && 'result' in m);
  if (!result) throw new Error(`initialize gave no result: ${shorten(text)}`);
  const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': result.result.protocolVersion ?? PROTOCOL_VERSION };
  const initialized = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  await initialized.text();
  if (initialized.status !== 202 && !initialized.ok) throw new Error(`notifications/initialized answered ${initialized.status}`);
  return { headers, sessionId };
}

/** One tools/call outside of any load, to fail early with the server's own words. */
export async function callOnce(target: StartedTarget, session: Session, call: McpCall): Promise<{ ok: boolean; status: number; body: string }> {
  const id = nextRequestId++;
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { ...BASE_HEADERS, ...target.headers, ...session.headers },
    body: JSON.stringify({ ...(call.vary ? call.vary(nextN(call)) : call.body), id }),
  });
  const body = await response.text();
  const ok = response.ok && verdictOf(body, response.headers.get('content-type') ?? undefined, id) === 'ok';
  return { ok, status: response.status, body };
}

export interface LoadSpec {
  readonly target: string;
  readonly started: StartedTarget;
  readonly session: Session;
  readonly mode: McpMode;
  readonly call: McpCall;
  readonly concurrency: number;
  readonly budget: McpBudget;
}

export async function measureLoad(spec: LoadSpec): Promise<McpRun> {
  const { started, call, concurrency, budget } = spec;
  // Untimed: JIT, connections, caches; its figures are dropped.
  if (budget.warmupSeconds > 0) await fire(spec, budget.warmupSeconds);
  const cpuBefore = processCpuMs(started.pid);
  const clientBefore = process.cpuUsage();
  const fired = await fire(spec, budget.runSeconds);
  const client = process.cpuUsage(clientBefore);
  const cpuAfter = processCpuMs(started.pid);
  const responses = fired.latencies.length;
  const serverCpuMs = cpuAfter - cpuBefore;
  const errors = { ...fired.errors, connection: fired.result.errors, timeouts: fired.result.timeouts };
  return {
    target: spec.target,
    mode: spec.mode,
    call: call.label,
    concurrency,
    seconds: fired.result.duration,
    callsPerSecond: fired.ok / fired.result.duration,
    okCalls: fired.ok,
    responses,
    latency: latencyOf(fired.latencies),
    serverCpuMs,
    serverCpuMsPerCall: responses > 0 ? serverCpuMs / responses : NaN,
    serverRssMiB: processRssMiB(started.pid),
    loadGeneratorCpuMsPerCall: responses > 0 ? (client.user + client.system) / 1000 / responses : NaN,
    errors,
    errorCount: errorTotal(errors),
    ...(fired.firstError ? { firstError: fired.firstError } : {}),
    contentTypes: fired.contentTypes,
  };
}

interface Fired {
  readonly result: autocannon.Result;
  readonly latencies: number[];
  readonly ok: number;
  readonly errors: ReturnType<typeof noErrors>;
  readonly firstError?: string;
  readonly contentTypes: Record<string, number>;
}

async function fire(spec: LoadSpec, seconds: number): Promise<Fired> {
  const { started, session, call, concurrency } = spec;
  const latencies: number[] = [];
  const errors = noErrors();
  const contentTypes: Record<string, number> = {};
  let ok = 0;
  let firstError: string | undefined;
  const headers = { ...BASE_HEADERS, ...started.headers, ...session.headers };
  // The body with its id spliced in: bodies are built once per call kind, not re-serialised per request.
  const fixed = call.vary ? null : JSON.stringify({ ...call.body, id: '%ID%' });
  let done!: (error: Error | null, result: autocannon.Result) => void;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    done = (error, result) => (error ? reject(error) : resolve(result));
  });
  // The callback form returns the instance, whose 'response' events carry each request's time.
  const instance = autocannon({
    url: started.url,
    connections: concurrency,
    pipelining: 1,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers,
        setupRequest: (request, context) => {
          const id = nextRequestId++;
          (context as { id?: number }).id = id;
          const body = fixed ? fixed.replace('"%ID%"', String(id)) : JSON.stringify({ ...call.vary!(nextN(call)), id });
          return { ...request, body };
        },
        onResponse: (status, body, context, responseHeaders) => {
          const contentType = headerOf(responseHeaders, 'content-type');
          if (status < 200 || status > 299) {
            errors.non2xx++;
            firstError ??= `HTTP ${status}: ${shorten(body)}`;
            return;
          }
          const kind = (contentType ?? 'none').split(';')[0].trim();
          contentTypes[kind] = (contentTypes[kind] ?? 0) + 1;
          const verdict = verdictOf(body, contentType, (context as { id?: number }).id);
          if (verdict === 'ok') ok++;
          else {
            errors[verdict === 'rpcError' ? 'rpcErrors' : verdict === 'toolError' ? 'toolErrors' : 'unparseable']++;
            firstError ??= `${verdict}: ${shorten(body)}`;
          }
        },
      },
    ],
  }, (error, result) => done(error, result));
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  const result = await finished;
  return { result, latencies, ok, errors, contentTypes, ...(firstError ? { firstError } : {}) };
}

function headerOf(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return Array.isArray(value) ? String(value[0]) : String(value);
  return undefined;
}

let clockTicks: number | undefined;

/** User + system CPU of a process (all its threads), ms, from /proc/<pid>/stat (clock-tick resolution). */
export function processCpuMs(pid: number): number {
  clockTicks ??= Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

export function processRssMiB(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

export function shorten(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
