import { FetchRefusedError, guardedFetch, type GuardedFetchOptions, type GuardedResponse, type Resolver } from '../../net/guarded-fetch';
import { safeDescription } from './client-metadata-error';
import { ClientMetadataError, parseClientIdUrl, validateClientMetadata, type ClientMetadata } from './client-metadata';

export type ClientIdDocumentErrorReason = 'bad_client_id' | 'fetch_refused' | 'http_status' | 'not_json' | 'invalid_metadata' | 'rate_limited';

/**
 * A client_id URL did not yield usable client metadata. The message names the URL (without its
 * query) and what was wrong, for the logs; `description` says the same to the client without what
 * csmcp learnt about its own network (no resolved addresses), in RFC 6749 error_description
 * characters. `cause` holds the FetchRefusedError or ClientMetadataError behind it.
 * The authorization server answers it as invalid_client (or shows it, never redirecting).
 */
export class ClientIdDocumentError extends Error {
  readonly description: string;

  constructor(
    readonly reason: ClientIdDocumentErrorReason,
    message: string,
    readonly clientId: string,
    options?: { cause?: unknown; description?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClientIdDocumentError';
    this.description = safeDescription(options?.description ?? message);
  }
}

export interface CimdFetcherOptions {
  /** Largest document accepted, in bytes; default 5 KiB (the draft's guidance). */
  readonly maxBytes?: number;
  /** Default 5000 ms for the whole fetch. */
  readonly timeoutMs?: number;
  /** Hosts an admin allowed to resolve to private addresses (see guardedFetch). */
  readonly allowedHosts?: readonly string[];
  /** Bounds on how long a document is kept, whatever its Cache-Control says; default 5 min and 24 h. */
  readonly minTtlMs?: number;
  readonly maxTtlMs?: number;
  /** How long a failure is remembered, so a broken or hostile URL is not fetched on every request; default 30 s. */
  readonly failureTtlMs?: number;
  /** Documents (and failures) kept at most; the oldest go first. Default 1000. */
  readonly maxEntries?: number;
  /**
   * Fetches from one host (its name, whatever the port) allowed per `hostWindowMs`; default 12 a
   * minute. Anyone who can reach the authorization endpoint can name a URL: this keeps csmcp from
   * being used to hammer someone's server. Cached documents and failures cost nothing.
   */
  readonly fetchesPerHost?: number;
  readonly hostWindowMs?: number;
  /** Fetches running at once, all hosts together; default 8. */
  readonly maxConcurrentFetches?: number;
  readonly now?: () => number;
  /** Test and private-CA hooks passed on to guardedFetch. */
  readonly ca?: GuardedFetchOptions['ca'];
  readonly resolve?: Resolver;
  readonly fetch?: (url: string, options: GuardedFetchOptions) => Promise<GuardedResponse>;
}

type Entry = { readonly expiresAt: number } & ({ readonly metadata: ClientMetadata } | { readonly error: ClientIdDocumentError });

const MINUTE = 60_000;

/**
 * Fetches and validates Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document):
 * an https client_id URL, fetched through guardedFetch (no private targets, no redirects: the draft
 * wants a 200 from that very URL), application/json of at most 5 KiB, validated as kind cimd.
 * Results are cached per URL within bounds; concurrent requests for one URL share one fetch. Fetches
 * are limited per host and in number at once (admit): a refusal is rate_limited, "try again later".
 */
export class CimdFetcher {
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<ClientMetadata>>();
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly minTtlMs: number;
  private readonly maxTtlMs: number;
  private readonly failureTtlMs: number;
  private readonly maxEntries: number;
  private readonly fetchesPerHost: number;
  private readonly hostWindowMs: number;
  private readonly maxConcurrentFetches: number;
  /** When each host's recent fetches started, oldest first. */
  private readonly hostFetches = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly fetch: NonNullable<CimdFetcherOptions['fetch']>;

  constructor(private readonly options: CimdFetcherOptions = {}) {
    this.maxBytes = options.maxBytes ?? 5 * 1024;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.minTtlMs = options.minTtlMs ?? 5 * MINUTE;
    this.maxTtlMs = options.maxTtlMs ?? 24 * 60 * MINUTE;
    this.failureTtlMs = options.failureTtlMs ?? 30_000;
    this.maxEntries = options.maxEntries ?? 1000;
    this.fetchesPerHost = options.fetchesPerHost ?? 12;
    this.hostWindowMs = options.hostWindowMs ?? MINUTE;
    this.maxConcurrentFetches = options.maxConcurrentFetches ?? 8;
    this.now = options.now ?? Date.now;
    this.fetch = options.fetch ?? guardedFetch;
    if (this.minTtlMs > this.maxTtlMs) throw new TypeError('CimdFetcher: minTtlMs must not exceed maxTtlMs');
  }

  /** The validated metadata of the client whose client_id is `clientId`; rejects with a ClientIdDocumentError. */
  get(clientId: string): Promise<ClientMetadata> {
    try {
      parseClientIdUrl(clientId);
    } catch (err) {
      // Refused before any fetch, so nothing to cache (and junk URLs cannot crowd the cache).
      return Promise.reject(new ClientIdDocumentError('bad_client_id', (err as ClientMetadataError).message, clientId, { cause: err }));
    }
    const cached = this.cache.get(clientId);
    if (cached && cached.expiresAt > this.now()) return 'metadata' in cached ? Promise.resolve(cached.metadata) : Promise.reject(cached.error);
    if (cached) this.cache.delete(clientId);
    const pending = this.inFlight.get(clientId);
    if (pending) return pending;
    const refused = this.admit(clientId);
    if (refused) return Promise.reject(refused);

    const load = this.load(clientId).then(
      ({ metadata, ttlMs }) => {
        this.remember(clientId, { metadata, expiresAt: this.now() + ttlMs });
        return metadata;
      },
      (err: unknown) => {
        if (err instanceof ClientIdDocumentError) this.remember(clientId, { error: err, expiresAt: this.now() + this.failureTtlMs });
        throw err;
      },
    );
    const shared = load.finally(() => this.inFlight.delete(clientId));
    this.inFlight.set(clientId, shared);
    return shared;
  }

  /** Forgets what is cached for one client_id, e.g. when an admin asks to refresh it. */
  forget(clientId: string): void {
    this.cache.delete(clientId);
  }

  private async load(clientId: string): Promise<{ metadata: ClientMetadata; ttlMs: number }> {
    const where = `the client ID metadata document at ${clientId.replace(/[?#].*$/, '')}`;
    let res: GuardedResponse;
    try {
      res = await this.fetch(clientId, {
        headers: { accept: 'application/json' },
        maxBytes: this.maxBytes,
        timeoutMs: this.timeoutMs,
        maxRedirects: 0,
        allowedHosts: this.options.allowedHosts,
        ca: this.options.ca,
        resolve: this.options.resolve,
      });
    } catch (err) {
      if (!(err instanceof FetchRefusedError)) throw err;
      return this.fail('fetch_refused', `Could not use ${where}: ${err.message}`, clientId, err, `Could not use ${where}: ${this.refusal(err)}`);
    }
    if (res.status !== 200) return this.fail('http_status', `Could not use ${where}: it answered HTTP ${res.status}, not 200`, clientId);
    const mediaType = (res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase().slice(0, 100);
    if (mediaType !== 'application/json') {
      return this.fail('not_json', `Could not use ${where}: its content type is ${mediaType || 'missing'}, not application/json`, clientId);
    }
    let document: unknown;
    try {
      document = JSON.parse(res.body.toString('utf8'));
    } catch (err) {
      return this.fail('not_json', `Could not use ${where}: its body is not valid JSON`, clientId, err);
    }
    try {
      const metadata = validateClientMetadata(document, { kind: 'cimd', clientIdUrl: clientId });
      return { metadata, ttlMs: this.ttl(res.headers['cache-control']) };
    } catch (err) {
      if (!(err instanceof ClientMetadataError)) throw err;
      return this.fail('invalid_metadata', `Refused ${where}: ${err.message}`, clientId, err);
    }
  }

  /** max-age within [minTtlMs, maxTtlMs]; no max-age, no-store or no-cache keep it the minimum. */
  private ttl(cacheControl: string | undefined): number {
    const directives = (cacheControl ?? '').toLowerCase().split(',').map((d) => d.trim());
    const maxAge = directives.map((d) => /^max-age\s*=\s*"?(\d+)"?$/.exec(d)?.[1]).find((v) => v !== undefined);
    const wanted = directives.includes('no-store') || directives.includes('no-cache') || maxAge === undefined ? 0 : Number(maxAge) * 1000;
    return Math.min(this.maxTtlMs, Math.max(this.minTtlMs, wanted));
  }

  private remember(clientId: string, entry: Entry): void {
    this.cache.delete(clientId);
    while (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    this.cache.set(clientId, entry);
  }

  /**
   * Whether a fetch of this document may start now: not while maxConcurrentFetches are running, nor
   * beyond fetchesPerHost per hostWindowMs for its host. A refusal is not cached: it says nothing
   * about the document.
   */
  private admit(clientId: string): ClientIdDocumentError | null {
    const host = new URL(clientId).hostname.toLowerCase();
    const later = (what: string) =>
      new ClientIdDocumentError('rate_limited', `Did not fetch the client ID metadata document at ${clientId.replace(/[?#].*$/, '')}: ${what}`, clientId, {
        description: `csmcp is fetching too many client ID metadata documents ${what === 'too many fetches at once' ? 'at once' : `from ${host}`} right now; try again later`,
      });
    if (this.inFlight.size >= this.maxConcurrentFetches) return later('too many fetches at once');
    const now = this.now();
    const recent = (this.hostFetches.get(host) ?? []).filter((t) => t > now - this.hostWindowMs);
    if (recent.length >= this.fetchesPerHost) {
      this.hostFetches.set(host, recent);
      return later(`${recent.length} fetches from ${host} within ${Math.round(this.hostWindowMs / 1000)} s`);
    }
    recent.push(now);
    // Re-inserted last, so the map's first entries are the hosts fetched from longest ago.
    this.hostFetches.delete(host);
    this.hostFetches.set(host, recent);
    while (this.hostFetches.size > this.maxEntries) this.hostFetches.delete(this.hostFetches.keys().next().value as string);
    return null;
  }

  /** Why guardedFetch refused, as the client may read it: never the addresses a host resolved to. */
  private refusal(err: FetchRefusedError): string {
    switch (err.reason) {
      case 'private_address':
        return 'its host is not a public address; csmcp fetches client ID metadata documents only from public addresses, unless an admin allowed the host (OAUTH_CIMD_ALLOWED_HOSTS)';
      case 'dns_failed':
        return 'its host name did not resolve';
      case 'connection_failed':
        return 'the connection to its host failed';
      case 'tls_failed':
        return 'the TLS connection to its host failed (is its certificate valid and trusted?)';
      case 'too_large':
        return `it is larger than the ${this.maxBytes} bytes allowed`;
      case 'timeout':
        return `it did not arrive within ${this.timeoutMs} ms`;
      case 'too_many_redirects':
        return 'it answered with a redirect; the document must be served at its client_id URL itself (redirects are not followed)';
      default:
        return err.message;
    }
  }

  private fail(reason: ClientIdDocumentErrorReason, message: string, clientId: string, cause?: unknown, description?: string): never {
    throw new ClientIdDocumentError(reason, message, clientId, { cause, description });
  }
}
