/**
 * A round-robin HTTP load balancer for the two-instance soak: each request goes to the next instance
 * in turn, without sticky sessions, streamed both ways. A request an instance refused to connect
 * (it is dead, nothing reached it) goes to the next one and the dead one is skipped from then on; a
 * request that was on its way when the instance died gets a 502 (it may or may not have run there),
 * as from any load balancer.
 */
import { request as httpRequest, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Requests each upstream answered (by its base URL). */
  readonly served: Map<string, number>;
  /** Upstreams found dead (connection refused). */
  readonly down: Set<string>;
  close(): Promise<void>;
}

export async function startRoundRobin(upstreams: readonly string[]): Promise<RoundRobinProxy> {
  const served = new Map<string, number>(upstreams.map((u) => [u, 0]));
  const down = new Set<string>();
  let next = 0;
  const pickFrom = (tried: Set<string>): string | null => {
    for (let i = 0; i < upstreams.length; i++) {
      const candidate = upstreams[(next + i) % upstreams.length];
      if (!down.has(candidate) && !tried.has(candidate)) {
        next = (next + i + 1) % upstreams.length;
        return candidate;
      }
    }
    return null;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, tried: Set<string>) => {
    const upstream = pickFrom(tried);
    if (!upstream) {
      res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no instance is up' }));
      return;
    }
    tried.add(upstream);
    const target = new URL(req.url ?? '/', upstream);
    const out = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host }, agent: false }, (answer) => {
      served.set(upstream, (served.get(upstream) ?? 0) + 1);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      // The instance died while streaming: cut the client's connection as well.
      answer.on('error', () => res.destroy());
      answer.on('aborted', () => res.destroy());
    });
    out.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' && !res.headersSent) {
        // Nothing reached it: safe to send elsewhere.
        down.add(upstream);
        forward(req, res, body, tried);
        return;
      }
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `upstream failed: ${error.code ?? error.message}` }));
      else res.destroy();
    });
    // The client went away (closed its stream): stop the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    out.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(req, res, Buffer.concat(chunks), new Set()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    down,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
