/**
 * A TCP proxy a fault test puts between csmcp and PostgreSQL, so the database can be made
 * unreachable without stopping the machine's real server (other tests use it). Two ways to cut:
 *
 * - `refuse`: every open connection is closed and the port stops listening, so new connections
 *   get ECONNREFUSED at once (the database process is gone, the host is up).
 * - `blackhole`: open connections stay open but nothing goes through in either direction any more,
 *   and new connections are accepted and then never answered (a network partition, a firewall
 *   dropping packets). This is the one that makes a client without timeouts hang.
 *
 * `restore()` lets traffic through again. Connections that were blackholed are then reset: bytes
 * dropped mid-stream cannot be delivered any more, as when TCP gives up on a partitioned peer.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type CutMode = 'refuse' | 'blackhole';

export interface TcpProxy {
  readonly port: number;
  /** The PostgreSQL URL with its host and port replaced by the proxy's. */
  url(databaseUrl: string): string;
  readonly state: 'open' | CutMode;
  /** Connections accepted since the proxy started (a test can see the client reconnected). */
  readonly accepted: number;
  cut(mode: CutMode): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let state: 'open' | CutMode = 'open';
  let accepted = 0;
  /** Every socket the proxy holds, client and upstream sides. */
  const sockets = new Set<Socket>();
  const blackholed = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      blackholed.delete(socket);
    });
    // A reset peer is part of the game, not a test failure.
    socket.on('error', () => socket.destroy());
  };
  const silence = (socket: Socket) => {
    blackholed.add(socket);
    socket.unpipe();
    socket.removeAllListeners('data');
    // Keep reading so the peer's writes succeed, and drop what arrives: packets vanishing.
    socket.on('data', () => undefined);
    socket.resume();
  };

  const onConnection = (client: Socket) => {
    accepted++;
    track(client);
    if (state === 'blackhole') return silence(client);
    const upstream = createConnection(target);
    track(upstream);
    // Either side closing closes the other, unless the pair is blackholed: then nothing gets through, not even a close.
    upstream.on('close', () => blackholed.has(client) || client.destroy());
    client.on('close', () => blackholed.has(upstream) || upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  };

  let server: Server = createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const stopListening = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const port = await listen(0);

  return {
    port,
    get state() {
      return state;
    },
    get accepted() {
      return accepted;
    },
    url(databaseUrl: string) {
      const url = new URL(databaseUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    async cut(mode: CutMode) {
      if (state !== 'open') throw new Error(`the proxy is already cut (${state})`);
      state = mode;
      if (mode === 'refuse') {
        for (const socket of sockets) socket.destroy();
        await stopListening();
      } else {
        for (const socket of sockets) silence(socket);
      }
    },
    async restore() {
      if (state === 'open') return;
      const was = state;
      state = 'open';
      if (was === 'refuse') {
        server = createServer(onConnection);
        // The same port: it was ours a moment ago; nothing else on this machine asks for a fixed one.
        await listen(port);
      } else {
        for (const socket of blackholed) socket.resetAndDestroy();
      }
    },
    async close() {
      state = 'open';
      for (const socket of sockets) socket.destroy();
      if (server.listening) await stopListening();
    },
  };
}
