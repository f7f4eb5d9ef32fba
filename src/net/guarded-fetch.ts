import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP } from 'node:net';
import { Readable, Transform } from 'node:stream';
import { describeUrl, FetchRefusedError } from './fetch-refused.error';
import { classifyAddress, NEVER_ALLOWED } from './ip-address';

export { FetchRefusedError, type FetchRefusedReason } from './fetch-refused.error';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to every address it has. The default asks the system resolver (dns.lookup). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface GuardedFetchOptions {
  /** Default GET. */
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Largest response body accepted, in bytes; default 256 KiB. Bigger ones are cut off while streaming. */
  readonly maxBytes?: number;
  /** Time for the whole call (DNS, connect, every redirect, the body), in ms; default 5000. */
  readonly timeoutMs?: number;
  /** Redirects followed, each one checked like the first URL; default 3. 0 refuses any redirect. */
  readonly maxRedirects?: number;
  /**
   * Also fetch http:// URLs: true for any host, 'allowed_hosts' only for a host in `allowedHosts` (a
   * server inside the network an admin allowed; never plain http across the internet). Checked for
   * every hop, so an allowed host cannot redirect to a public http URL. Default false. A redirect from
   * https to http is refused regardless.
   */
  readonly allowHttp?: boolean | 'allowed_hosts';
  /**
   * Hosts an admin allowed explicitly, as `name`, `name:port`, `10.0.0.5:8443` or `[fd00::1]`: they may
   * resolve to private, loopback or link-local addresses (never to unspecified, multicast or broadcast ones).
   * Exact matches only, no wildcards; without a port any port is allowed.
   */
  readonly allowedHosts?: readonly string[];
  readonly signal?: AbortSignal;
  /** Trust anchors (PEM) used INSTEAD of the system's: an admin's private CA, or a test server's certificate. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Replaces the system resolver (tests; a custom DNS). Its answers are checked like the system's. */
  readonly resolve?: Resolver;
}

export interface GuardedResponse {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The URL the response came from, after redirects. */
  readonly url: string;
  readonly body: Buffer;
}

export const GUARDED_FETCH_DEFAULTS = { maxBytes: 256 * 1024, timeoutMs: 5000, maxRedirects: 3 } as const;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers csmcp sets itself, whatever the caller passed. */
const OWN_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'accept-encoding']);
/** Never sent on to another origin after a redirect. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/**
 * Fetches an outside URL so that it cannot be turned against csmcp's own network (SSRF): https only
 * unless allowed, no credentials in the URL, every address the host resolves to must be public
 * unless an admin allowed the host, the connection goes to the very address that was checked (so a
 * DNS answer that changes between check and connect changes nothing), each redirect is checked the
 * same way, and the body and the whole call are bounded. Resolves with any HTTP status; rejects
 * with a FetchRefusedError (TypeError for options that are wrong in themselves).
 */
export async function guardedFetch(input: string | URL, options: GuardedFetchOptions = {}): Promise<GuardedResponse> {
  const maxBytes = positiveInteger('maxBytes', options.maxBytes ?? GUARDED_FETCH_DEFAULTS.maxBytes);
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? GUARDED_FETCH_DEFAULTS.timeoutMs);
  const maxRedirects = positiveInteger('maxRedirects', options.maxRedirects ?? GUARDED_FETCH_DEFAULTS.maxRedirects, 0);
  const allowed = (options.allowedHosts ?? []).map(parseAllowedHost);
  const resolve = options.resolve ?? systemResolver;

  let url = parseUrl(input);
  let method = (options.method ?? 'GET').toUpperCase();
  let body = options.body;
  let headers = ownHeaders(options.headers, body);

  const { signal, release } = deadline(() => url, timeoutMs, ', the time allowed for the whole request (redirects and body included)', options.signal);

  try {
    let from: URL | null = null; // the URL that redirected here
    for (let redirects = 0; ; redirects++) {
      const target = await checkedTarget(url, from, options.allowHttp ?? false, allowed, resolve, signal);
      const res = await send(url, target, { method, headers, body, ca: options.ca }, signal);
      const location = res.headers.location;
      if (!REDIRECT_STATUSES.has(res.statusCode ?? 0) || !location) {
        const responseBody = await readBody(res, url, maxBytes, signal);
        return { status: res.statusCode ?? 0, headers: flatHeaders(res), url: url.href, body: responseBody };
      }
      res.destroy(); // a redirect's body is never read
      from = url;
      ({ url, method, body, headers } = redirectHop({ url, method, body, headers }, res.statusCode ?? 0, location, redirects, maxRedirects));
    }
  } catch (err) {
    if (err instanceof FetchRefusedError) throw err;
    throw signal.aborted ? signal.reason : err;
  } finally {
    release();
  }
}

interface AllowedHost {
  readonly hostname: string;
  readonly port: number | null;
}

/**
 * Reads an allowed-host entry as an admin writes it ("mcp.internal", "mcp.internal:8443",
 * "10.0.0.5", "[fd00::1]:443"), in the same normal form URLs get (lower case, IPv4 in dotted decimal).
 * Throws a TypeError naming the entry when it is not a bare host.
 */
export function parseAllowedHost(entry: string): AllowedHost {
  const match = /^(\[[^\]]*\]|[^:/?#@\s[\]]+)(?::(\d{1,5}))?$/.exec(entry.trim());
  let hostname: string | undefined;
  try {
    if (match) hostname = new URL(`http://${match[1]}/`).hostname;
  } catch {
    hostname = undefined;
  }
  const port = match?.[2] === undefined ? null : Number(match[2]);
  if (!match || !hostname || hostname.includes('*') || (port !== null && (port < 1 || port > 65535))) {
    throw new TypeError(`Allowed host "${entry}" is not a host name or IP address with an optional port (e.g. mcp.internal, 10.0.0.5:8443 or [fd00::1]:443); no scheme, path or wildcard`);
  }
  return { hostname: stripTrailingDot(hostname), port };
}

function allowedHostText(a: AllowedHost): string {
  return a.port === null ? a.hostname : `${a.hostname}:${a.port}`;
}

function isAllowedHost(url: URL, allowed: readonly AllowedHost[]): boolean {
  const hostname = stripTrailingDot(url.hostname);
  const port = effectivePort(url);
  return allowed.some((a) => a.hostname === hostname && (a.port === null || a.port === port));
}

function parseUrl(input: string | URL): URL {
  try {
    return new URL(String(input));
  } catch {
    throw new FetchRefusedError('bad_url', 'Refused to fetch a URL that does not parse as an absolute URL', '');
  }
}

/**
 * The address one hop of a fetch (the first URL, or where a redirect from `from` leads) may connect
 * to: every hop passes the same checks (scheme, credentials, addresses), and a refusal of a hop
 * names the redirect that led there.
 */
async function checkedTarget(
  url: URL,
  from: URL | null,
  allowHttp: boolean | 'allowed_hosts',
  allowed: readonly AllowedHost[],
  resolve: Resolver,
  signal: AbortSignal,
): Promise<ResolvedAddress> {
  try {
    checkUrl(url, allowHttp, allowed);
    return await resolveTarget(url, allowed, resolve, signal);
  } catch (err) {
    if (!from || !(err instanceof FetchRefusedError) || err.reason === 'timeout' || err.reason === 'aborted') throw err;
    throw new FetchRefusedError(err.reason, `${err.message} (where a redirect from ${describeUrl(from)} led)`, err.url, { cause: err });
  }
}

function checkUrl(url: URL, allowHttp: boolean | 'allowed_hosts', allowed: readonly AllowedHost[]): void {
  const httpAllowed = allowHttp === true || (allowHttp === 'allowed_hosts' && isAllowedHost(url, allowed));
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && httpAllowed)) {
    const host = stripTrailingDot(url.hostname);
    const message =
      url.protocol === 'http:' && allowHttp === 'allowed_hosts'
        ? `Refused to fetch ${describeUrl(url)}: plain http is allowed only towards a host an admin allowed (${allowed.length > 0 ? allowed.map(allowedHostText).join(', ') : 'none'}), and ${host}${url.port ? `:${url.port}` : ''} is not one; use https`
        : `Refused to fetch ${describeUrl(url)}: the ${url.protocol.replace(/:$/, '')} scheme is not allowed here, only ${allowHttp === true ? 'https and http' : 'https'}`;
    throw new FetchRefusedError('scheme_not_allowed', message, describeUrl(url));
  }
  if (url.username || url.password) {
    const message = `Refused to fetch ${describeUrl(url)}: the URL carries a user name or password (user:pass@host); send credentials another way`;
    throw new FetchRefusedError('credentials_in_url', message, describeUrl(url));
  }
  if (!url.hostname) throw new FetchRefusedError('bad_url', `Refused to fetch ${describeUrl(url)}: the URL has no host`, describeUrl(url));
}

/**
 * The signal a fetch runs under: aborted when `timeoutMs` has passed (naming the URL it was at then,
 * then `allowance`) or when the caller's signal aborts. `release` ends both once the fetch is done with them.
 */
function deadline(current: () => URL, timeoutMs: number, allowance: string, caller: AbortSignal | undefined): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    const url = current();
    controller.abort(new FetchRefusedError('timeout', `Gave up on ${describeUrl(url)} after ${timeoutMs} ms${allowance}`, describeUrl(url)));
  }, timeoutMs);
  const onCallerAbort = () => controller.abort(new FetchRefusedError('aborted', `The fetch of ${describeUrl(current())} was cancelled`, describeUrl(current())));
  if (caller?.aborted) onCallerAbort();
  caller?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    },
  };
}

interface Hop {
  readonly url: URL;
  readonly method: string;
  readonly body: string | Uint8Array | undefined;
  readonly headers: ReturnType<typeof ownHeaders>;
}

/**
 * The request a redirect leads to, or a refusal: too many hops, or https dropped for http. (Every
 * hop's address is checked again by the caller before it is sent.)
 */
function redirectHop(from: Hop, status: number, location: string, redirects: number, maxRedirects: number): Hop {
  const { url } = from;
  let { method, body, headers } = from;
  if (redirects >= maxRedirects) {
    const limit = maxRedirects === 0 ? 'no redirects are followed here' : `at most ${maxRedirects} are followed`;
    throw new FetchRefusedError('too_many_redirects', `Refused to follow the redirect from ${describeUrl(url)}: ${limit}`, describeUrl(url));
  }
  const next = redirectTarget(url, location);
  if (url.protocol === 'https:' && next.protocol === 'http:') {
    const message = `Refused to follow the redirect from ${describeUrl(url)} to ${describeUrl(next)}: it drops https for http`;
    throw new FetchRefusedError('redirect_downgrade', message, describeUrl(next));
  }
  // As browsers do: 303, and 301/302 after a POST, continue as a GET without the body.
  if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
    if (method !== 'HEAD') method = 'GET';
    body = undefined;
    headers = ownHeaders(withoutHeaders(headers, ['content-type']), undefined);
  }
  // Credentials meant for one origin are never handed to another.
  if (next.origin !== url.origin) headers = withoutHeaders(headers, CREDENTIAL_HEADERS);
  return { url: next, method, body, headers };
}

function redirectTarget(from: URL, location: string): URL {
  try {
    return new URL(location, from);
  } catch {
    throw new FetchRefusedError('bad_redirect', `Refused to follow the redirect from ${describeUrl(from)}: its Location is not a valid URL`, describeUrl(from));
  }
}

/** The address to connect to: the host's first address, once every one of them passed the check. */
async function resolveTarget(url: URL, allowed: readonly AllowedHost[], resolve: Resolver, signal: AbortSignal): Promise<ResolvedAddress> {
  const host = bareHost(url.hostname);
  const literal = isIP(host);
  let addresses: readonly ResolvedAddress[];
  if (literal) {
    addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await abortable(resolve(host), signal);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new FetchRefusedError('dns_failed', `Could not fetch ${describeUrl(url)}: ${host} did not resolve (${errorCode(err)})`, describeUrl(url), { cause: err });
    }
    if (addresses.length === 0) throw new FetchRefusedError('dns_failed', `Could not fetch ${describeUrl(url)}: ${host} has no addresses`, describeUrl(url));
  }
  const adminAllowed = isAllowedHost(url, allowed);
  for (const { address } of addresses) {
    const { range, description } = classifyAddress(address);
    if (range === 'public' || (adminAllowed && !NEVER_ALLOWED.has(range))) continue;
    const where = literal ? `${host} is` : `${host} resolves to ${address},`;
    const fix = adminAllowed
      ? 'csmcp never connects there, not even for an allowed host'
      : `csmcp fetches only public addresses unless an admin allows the host explicitly (add ${stripTrailingDot(url.hostname)} or ${stripTrailingDot(url.hostname)}:${effectivePort(url)} to the allowed hosts)`;
    throw new FetchRefusedError('private_address', `Refused to fetch ${describeUrl(url)}: ${where} ${description}, not a public address; ${fix}`, describeUrl(url));
  }
  return addresses[0];
}

interface Outgoing {
  readonly method: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body: string | Uint8Array | undefined;
  readonly ca: GuardedFetchOptions['ca'];
}

/** Sends the request to the checked address (no second DNS lookup), naming the host in Host and SNI. */
function send(url: URL, target: ResolvedAddress, out: Outgoing, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolvePromise, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const secure = url.protocol === 'https:';
    const host = stripTrailingDot(bareHost(url.hostname));
    const options: RequestOptions = {
      host: target.address,
      family: target.family,
      port: effectivePort(url),
      method: out.method,
      path: `${url.pathname}${url.search}`,
      headers: { ...out.headers, host: url.host },
      agent: false, // a pooled socket could belong to another name's check
      ...(secure ? { servername: isIP(host) ? '' : host, ...(out.ca === undefined ? {} : { ca: out.ca as RequestOptions['ca'] }) } : {}),
    };
    let settled = false;
    const req = (secure ? httpsRequest : httpRequest)(options);
    const onAbort = () => req.destroy(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('response', (res) => {
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolvePromise(res);
    });
    // Stays attached: a socket can fail again after the response arrived.
    req.on('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      if (settled) return;
      settled = true;
      reject(signal.aborted ? signal.reason : connectionError(url, target, err));
    });
    req.end(out.body);
  });
}

function readBody(res: IncomingMessage, url: URL, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const done = (err: unknown, body?: Buffer) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (err) {
        res.destroy();
        reject(err);
      } else resolvePromise(body ?? Buffer.alloc(0));
    };
    const tooLarge = () =>
      new FetchRefusedError('too_large', `Refused the response from ${describeUrl(url)}: its body is larger than the ${maxBytes} bytes allowed`, describeUrl(url));
    const onAbort = () => done(signal.reason);
    res.on('error', (err) => done(signal.aborted ? signal.reason : connectionError(url, null, err)));
    if (signal.aborted) return done(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });

    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) return done(tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) done(tooLarge());
      else chunks.push(chunk);
    });
    res.on('end', () => done(null, Buffer.concat(chunks, size)));
    res.on('close', () =>
      done(new FetchRefusedError('connection_failed', `The connection to ${describeUrl(url)} closed before the response body ended`, describeUrl(url))),
    );
  });
}

function connectionError(url: URL, target: ResolvedAddress | null, err: Error): FetchRefusedError {
  const code = errorCode(err);
  const at = target ? ` (${target.address})` : '';
  if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/.test(code)) {
    return new FetchRefusedError('tls_failed', `Could not fetch ${describeUrl(url)}${at}: the TLS connection failed (${code}: ${err.message})`, describeUrl(url), { cause: err });
  }
  return new FetchRefusedError('connection_failed', `Could not fetch ${describeUrl(url)}${at}: ${code || err.message}`, describeUrl(url), { cause: err });
}

function ownHeaders(given: Readonly<Record<string, string>> | OutgoingHttpHeaders | undefined, body: string | Uint8Array | undefined): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { 'user-agent': 'csmcp' };
  for (const [name, value] of Object.entries(given ?? {})) {
    const lower = name.toLowerCase();
    if (!OWN_HEADERS.has(lower) && value !== undefined) headers[lower] = value;
  }
  // The body is returned as received, so ask for it unencoded.
  headers['accept-encoding'] = 'identity';
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return headers;
}

function withoutHeaders(headers: OutgoingHttpHeaders, names: readonly string[]): OutgoingHttpHeaders {
  const copy = { ...headers };
  for (const name of names) delete copy[name];
  return copy;
}

function flatHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolvePromise(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function positiveInteger(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) throw new TypeError(`guardedFetch: ${name} must be an integer of at least ${min}, got ${value}`);
  return value;
}

function effectivePort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

function bareHost(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}

function stripTrailingDot(hostname: string): string {
  return hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}

export interface GuardedStreamOptions extends Omit<GuardedFetchOptions, 'timeoutMs'> {
  /**
   * follow (default): redirects are followed, each hop checked like the first URL. manual: a redirect
   * comes back as the response (its body discarded), as fetch's `redirect: 'manual'` does, for callers
   * that decide themselves which redirects to follow (the MCP SDK follows only within one origin).
   */
  readonly redirect?: 'follow' | 'manual';
  /** Time until the response headers arrive (DNS, connect, every redirect), in ms; default 30000. The body has no time limit: the caller ends it with `signal`. */
  readonly headersTimeoutMs?: number;
}

export interface GuardedStreamResponse {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The URL the response came from, after redirects. */
  readonly url: string;
  /**
   * The body as it arrives (a server-sent event stream may never end). Past `maxBytes` in all it errors
   * with a FetchRefusedError (too_large); `signal` destroys it. Empty for a manual redirect.
   */
  readonly body: Readable;
}

/**
 * guardedFetch for long or streaming responses (an MCP server's event streams): the same checks on
 * the URL, every resolved address and every redirect, but the body is handed over as a stream while
 * it arrives, the time limit covers only the wait for the headers, and redirects may be left to the
 * caller (`redirect: 'manual'`).
 */
export async function guardedStreamFetch(input: string | URL, options: GuardedStreamOptions = {}): Promise<GuardedStreamResponse> {
  const maxBytes = positiveInteger('maxBytes', options.maxBytes ?? GUARDED_FETCH_DEFAULTS.maxBytes);
  const timeoutMs = positiveInteger('headersTimeoutMs', options.headersTimeoutMs ?? 30_000);
  const maxRedirects = positiveInteger('maxRedirects', options.maxRedirects ?? GUARDED_FETCH_DEFAULTS.maxRedirects, 0);
  const allowed = (options.allowedHosts ?? []).map(parseAllowedHost);
  const resolve = options.resolve ?? systemResolver;
  const manual = options.redirect === 'manual';

  let url = parseUrl(input);
  let method = (options.method ?? 'GET').toUpperCase();
  let body = options.body;
  let headers = ownHeaders(options.headers, body);

  const { signal, release } = deadline(() => url, timeoutMs, ' without a response (redirects included)', options.signal);

  try {
    let from: URL | null = null; // the URL that redirected here
    for (let redirects = 0; ; redirects++) {
      const target = await checkedTarget(url, from, options.allowHttp ?? false, allowed, resolve, signal);
      const res = await send(url, target, { method, headers, body, ca: options.ca }, signal);
      const location = res.headers.location;
      const isRedirect = REDIRECT_STATUSES.has(res.statusCode ?? 0) && Boolean(location);
      if (!isRedirect || manual) {
        release();
        if (isRedirect) res.destroy(); // a redirect's body is never read
        return { status: res.statusCode ?? 0, headers: flatHeaders(res), url: url.href, body: isRedirect ? Readable.from([]) : boundedBody(res, url, maxBytes, options.signal) };
      }
      res.destroy();
      from = url;
      ({ url, method, body, headers } = redirectHop({ url, method, body, headers }, res.statusCode ?? 0, location!, redirects, maxRedirects));
    }
  } catch (err) {
    release();
    if (err instanceof FetchRefusedError) throw err;
    throw signal.aborted ? signal.reason : err;
  }
}

/** The response body as a stream that errors past `maxBytes` and ends when the caller aborts. */
function boundedBody(res: IncomingMessage, url: URL, maxBytes: number, callerSignal: AbortSignal | undefined): Readable {
  let size = 0;
  const bounded = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) {
        callback(new FetchRefusedError('too_large', `Refused the response from ${describeUrl(url)}: its body is larger than the ${maxBytes} bytes allowed`, describeUrl(url)));
      } else callback(null, chunk);
    },
  });
  const onAbort = () => bounded.destroy(new FetchRefusedError('aborted', `The fetch of ${describeUrl(url)} was cancelled`, describeUrl(url)));
  if (callerSignal?.aborted) queueMicrotask(onAbort);
  callerSignal?.addEventListener('abort', onAbort, { once: true });
  res.on('error', (err) => bounded.destroy(connectionError(url, null, err)));
  res.on('aborted', () => bounded.destroy(new FetchRefusedError('connection_failed', `The connection to ${describeUrl(url)} closed before the response body ended`, describeUrl(url))));
  bounded.on('close', () => {
    callerSignal?.removeEventListener('abort', onAbort);
    res.destroy();
  });
  return res.pipe(bounded);
}
