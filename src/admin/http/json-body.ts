import type { IncomingMessage } from 'node:http';
import { readJsonBody } from '../../mcp/http/request-guards';
import { AdminApiError } from './admin-api-error';

/** Admin requests are small (the largest is a write policy); a body over this is refused before it is parsed. */
export const ADMIN_MAX_BODY_BYTES = 64 * 1024;

/**
 * The request's JSON body (the app runs without a body parser): read with a size limit, then parsed.
 * No body at all (an action such as POST …/disable) is undefined; anything else must be JSON.
 * Refusals: 415 UNSUPPORTED_MEDIA_TYPE, 413 BODY_TOO_LARGE, 400 INVALID_JSON.
 */
export async function readAdminJsonBody(req: IncomingMessage, limit = ADMIN_MAX_BODY_BYTES): Promise<unknown> {
  if (!hasBody(req)) return undefined;
  const read = await readJsonBody(req, limit);
  if (read.ok) return read.body;
  // The MCP reader's refusals, in the admin API's words (its own messages speak of JSON-RPC).
  if (read.status === 415) throw new AdminApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON, with Content-Type: application/json');
  if (read.status === 413) throw new AdminApiError(413, 'BODY_TOO_LARGE', `The body is too large: at most ${limit} bytes`, { limit });
  throw new AdminApiError(400, 'INVALID_JSON', 'The body is not valid JSON');
}

function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}
