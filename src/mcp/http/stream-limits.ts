import type { ServerResponse } from 'node:http';
import { sendJsonRpcError } from './request-guards';

/** How long a refused client is asked to wait: a stream frees up when its client closes it. */
export const STREAM_RETRY_AFTER_SECONDS = 10;

/**
 * Open SSE streams per user or machine client in this process (Streamable HTTP GET streams and
 * legacy SSE streams together): each holds a connection and memory for as long as the client
 * likes, so one client cannot hold them all. A stream counts from when it is admitted until its
 * response closes.
 */
export class StreamLimits {
  private readonly open = new Map<string, number>();

  constructor(readonly perOwner: number) {}

  /** Counts the stream against its owner until `res` closes; false (nothing counted) when the owner is at the limit. */
  admit(owner: string, res: Pick<ServerResponse, 'once'>): boolean {
    const open = this.open.get(owner) ?? 0;
    if (open >= this.perOwner) return false;
    this.open.set(owner, open + 1);
    res.once('close', () => {
      const left = (this.open.get(owner) ?? 1) - 1;
      if (left > 0) this.open.set(owner, left);
      else this.open.delete(owner);
    });
    return true;
  }

  /** The streams the owner holds open now. */
  openOf(owner: string): number {
    return this.open.get(owner) ?? 0;
  }

  /** 429 with Retry-After, saying what the limit is and what to do. */
  refuse(res: ServerResponse): void {
    res.setHeader('Retry-After', String(STREAM_RETRY_AFTER_SECONDS));
    sendJsonRpcError(
      res,
      429,
      -32000,
      `Too many open SSE streams for this user or client: at most ${this.perOwner} at once on this server (MCP_MAX_STREAMS_PER_USER); close a stream or end an unused session (DELETE) and retry`,
    );
  }
}
