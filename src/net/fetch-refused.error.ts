/** Why guardedFetch did not return a response. */
export type FetchRefusedReason =
  | 'bad_url'
  | 'scheme_not_allowed'
  | 'credentials_in_url'
  | 'private_address'
  | 'dns_failed'
  | 'connection_failed'
  | 'tls_failed'
  | 'too_large'
  | 'timeout'
  | 'too_many_redirects'
  | 'redirect_downgrade'
  | 'bad_redirect'
  | 'aborted';

/**
 * An outside URL was not fetched, or its response not accepted. The message says what was refused
 * and, where an admin can change that, how; it names the URL without its query string (which may
 * carry secrets).
 */
export class FetchRefusedError extends Error {
  constructor(
    readonly reason: FetchRefusedReason,
    message: string,
    /** The URL refused, without query or fragment; empty when the URL did not parse. */
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FetchRefusedError';
  }
}

/** A URL as it may appear in logs and error messages: scheme, host, port and path only. */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
