/**
 * The MCP tool-call benchmark's contracts: a target is a server process the harness puts under
 * HTTP load with autocannon; the floors and csmcp are targets alike, so csmcp slots in beside them.
 */
import type { Latency } from '../latency';

/**
 * How the harness talks to a target:
 * - raw: plain POST, no MCP (the node:http floor);
 * - stateless: POST tools/call with no session (no initialize);
 * - session-json / session-sse: initialize + notifications/initialized once, then every call carries
 *   the Mcp-Session-Id; the server answers application/json or a short text/event-stream.
 */
export type McpMode = 'raw' | 'stateless' | 'session-json' | 'session-sse';

export interface McpCall {
  readonly label: string;
  /** A whole JSON-RPC request (method tools/call); the harness gives each request its own id. */
  readonly body: object;
  /**
   * The body of the n-th request (n from 0), when calls must differ: an update that repeated the
   * same values would be refused as "nothing to change".
   */
  readonly vary?: (n: number) => object;
}

export interface StartedTarget {
  readonly url: string;
  /** Sent with every request (e.g. the bearer token). */
  readonly headers: Record<string, string>;
  readonly stop: () => Promise<void>;
  /** The server process: its CPU time is read from /proc/<pid>/stat before and after each run. */
  readonly pid: number;
  /** A line on what was started, for the table (versions, data set). */
  readonly details?: string;
}

export interface McpBenchTarget {
  readonly name: string;
  /** Modes measured against one started server, in order; each mode's calls run at every concurrency. */
  readonly modes: readonly McpMode[];
  /** May throw SkipTarget: the target is left out with its reason printed, the bench goes on. */
  start(): Promise<StartedTarget>;
  readonly calls: readonly McpCall[];
}

/** Thrown by a target that cannot be measured here (e.g. csmcp's endpoint is not built yet). */
export class SkipTarget extends Error {}

export interface McpBudget {
  readonly runSeconds: number;
  readonly warmupSeconds: number;
  readonly concurrencies: readonly number[];
}

/** What came back from the calls of one run, besides successes. */
export interface CallErrors {
  /** Responses with a status outside 2xx. */
  non2xx: number;
  /** 2xx responses carrying a JSON-RPC error. */
  rpcErrors: number;
  /** Results with isError: true (the tool itself refused or failed). */
  toolErrors: number;
  /** 2xx bodies that were not a JSON-RPC response to the request (or an event stream without one). */
  unparseable: number;
  /** Connection errors and timeouts reported by autocannon. */
  connection: number;
  timeouts: number;
}

export interface McpRun {
  readonly target: string;
  readonly mode: McpMode;
  readonly call: string;
  readonly concurrency: number;
  /** The timed window (autocannon's measured duration). */
  readonly seconds: number;
  /** Successful tool calls (2xx, JSON-RPC result, not isError) per second. */
  readonly callsPerSecond: number;
  readonly okCalls: number;
  readonly responses: number;
  /** Client-side latency of every response in the window, ms (autocannon's hrtime per request). */
  readonly latency: Latency;
  /** Server process CPU (user + system) during the window, per response. */
  readonly serverCpuMsPerCall: number;
  readonly serverCpuMs: number;
  /** Server resident set at the end of the run: shows a leak growing run after run. */
  readonly serverRssMiB: number | null;
  /**
   * This process (autocannon, checking every body) per response: on 2 cores the client competes with
   * the server, so a cheap server's calls/s is bounded by the client, not by itself.
   */
  readonly loadGeneratorCpuMsPerCall: number;
  readonly errors: CallErrors;
  readonly errorCount: number;
  /** The first error body seen, shortened. */
  readonly firstError?: string;
  /** Content types of the 2xx responses and how many of each. */
  readonly contentTypes: Record<string, number>;
}

/** One figure beside its floor, same mode (or raw) and same concurrency, in the same run. */
export interface McpComparison {
  readonly target: string;
  readonly floor: string;
  readonly mode: McpMode;
  readonly call: string;
  readonly concurrency: number;
  /** target calls/s ÷ floor calls/s: 1.00 as fast as the floor, 0.50 half as fast. */
  readonly throughputRatio: number;
  /** target ÷ floor: 2.00 = twice the floor's latency / CPU per call. */
  readonly p50Ratio: number;
  readonly p99Ratio: number;
  readonly cpuPerCallRatio: number;
  /** Either side had failed calls: the ratio is not a clean comparison. */
  readonly withErrors: boolean;
}

export interface McpResult {
  readonly budget: McpBudget;
  readonly targets: Array<{ name: string; details?: string }>;
  readonly runs: McpRun[];
  readonly comparisons: McpComparison[];
  readonly skipped: Array<{ target: string; reason: string }>;
  readonly warnings: string[];
  /** Targets whose start or runs broke off (other than a skip). */
  readonly errors: Array<{ target: string; error: string }>;
}
