import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig } from '../../config/config';
import { isLoopbackSocketAddress } from '../../net/ip-address';

/** Browser origins of the connectors csmcp is made for; they work without configuration. */
export const CONNECTOR_ORIGINS = [
  'https://claude.ai',
  'https://chatgpt.com',
  'https://chat.openai.com',
  'https://copilotstudio.microsoft.com',
  'https://copilotstudio.preview.microsoft.com',
  'https://copilot.microsoft.com',
  'https://m365.cloud.microsoft',
] as const;

/** The protocol versions csmcp speaks, newest first (the SDK also knows 2024-10-07; we do not offer it). */
export const PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;

/** Tool arguments are small; a body over this is refused before it is parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/;

export interface Refusal {
  readonly status: number;
  readonly message: string;
}

/**
 * DNS rebinding protection. A server on a loopback address answers only to loopback host names and
 * origins, so a web page whose name was rebound to 127.0.0.1 gets 403. With PUBLIC_URL set, the Host
 * must be its host (or a loopback name on a loopback connection). Browser origins must be the
 * connectors', the configured ones, csmcp's own or loopback ones on a loopback server; requests
 * without an Origin (server-side connectors, CLIs) are not browsers and pass.
 */
export class OriginPolicy {
  private readonly origins: Set<string>;
  private readonly anyOrigin: boolean;
  private readonly publicHost: string | null;
  private readonly publicOrigin: string | null;

  constructor(config: Pick<AppConfig, 'publicUrl' | 'allowedOrigins'>) {
    this.anyOrigin = config.allowedOrigins.includes('*');
    this.origins = new Set<string>([...CONNECTOR_ORIGINS, ...config.allowedOrigins.filter((o) => o !== '*')]);
    const url = config.publicUrl ? new URL(config.publicUrl) : null;
    this.publicHost = url ? url.host.toLowerCase() : null;
    this.publicOrigin = url ? url.origin.toLowerCase() : null;
  }

  check(req: IncomingMessage): Refusal | null {
    const loopbackConnection = isLoopbackSocketAddress(req.socket.localAddress);
    const host = (req.headers.host ?? '').trim().toLowerCase();
    const loopbackHost = LOOPBACK_HOST.test(host);
    const hostAllowed = (loopbackConnection && loopbackHost) || (this.publicHost ? host === this.publicHost : !loopbackConnection);
    if (!hostAllowed)
      return { status: 403, message: `Host ${JSON.stringify(host)} is not a name this server answers to (DNS rebinding protection); set PUBLIC_URL to the URL clients use` };

    const origin = req.headers.origin?.trim().toLowerCase();
    if (origin === undefined) return null;
    if (this.anyOrigin || this.origins.has(origin) || origin === this.publicOrigin) return null;
    if (loopbackConnection && isLoopbackOrigin(origin)) return null;
    return { status: 403, message: `Origin ${JSON.stringify(origin)} is not allowed; an admin can add it to MCP_ALLOWED_ORIGINS` };
  }

  /** Whether a browser on this origin may read responses (CORS); only asked after check() passed. */
  corsOrigin(req: IncomingMessage): string | null {
    return req.headers.origin ?? null;
  }
}

const CORS_ALLOW_HEADERS = 'Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID';
const CORS_EXPOSE_HEADERS = 'WWW-Authenticate, Mcp-Session-Id, MCP-Protocol-Version';

/** CORS headers for an allowed browser origin: clients must read WWW-Authenticate and Mcp-Session-Id. */
export function setCorsHeaders(res: ServerResponse, origin: string | null, preflight: boolean): void {
  if (!origin) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
  if (preflight) {
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS);
    res.setHeader('Access-Control-Max-Age', '600');
  }
}

/** A JSON-RPC error outside any session or tool: transport-level refusals (bad JSON, wrong version, too big). */
export function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string, id: string | number | null = null): void {
  if (res.headersSent) return;
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id }));
}

export type BodyResult = { ok: true; body: unknown; raw: Buffer } | { ok: false; status: number; code: number; message: string };

/** Reads a JSON body of at most `limit` bytes; too big → 413 before parsing, bad JSON → JSON-RPC parse error. */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/json'))
    return { ok: false, status: 415, code: -32000, message: 'Unsupported Media Type: send the JSON-RPC message as Content-Type: application/json' };
  const declared = Number(req.headers['content-length']);
  const tooBig = { ok: false as const, status: 413, code: -32000, message: `Request body too large: at most ${limit} bytes` };
  if (Number.isFinite(declared) && declared > limit) {
    req.resume(); // drain, so the connection can answer
    return tooBig;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      return tooBig;
    }
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks);
  try {
    return { ok: true, body: JSON.parse(raw.toString('utf8')), raw };
  } catch {
    return { ok: false, status: 400, code: -32700, message: 'Parse error: the body is not valid JSON' };
  }
}

/** Refuses an MCP-Protocol-Version header csmcp does not speak (400, as the transport spec says). */
export function checkProtocolVersionHeader(req: IncomingMessage): Refusal | null {
  const version = req.headers['mcp-protocol-version'];
  if (version === undefined || (PROTOCOL_VERSIONS as readonly string[]).includes(String(version))) return null;
  return { status: 400, message: `Bad Request: unsupported MCP-Protocol-Version ${JSON.stringify(version)}; supported: ${PROTOCOL_VERSIONS.join(', ')}` };
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOST.test(url.host);
  } catch {
    return false;
  }
}
