import { isIP } from 'node:net';
import { ClientMetadataError, quoteValue } from './client-metadata-error';

export { ClientMetadataError, type ClientMetadataErrorCode } from './client-metadata-error';

export type TokenEndpointAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post';
export type ClientGrantType = 'authorization_code' | 'refresh_token';

/**
 * Client metadata csmcp accepted, in normal form. Holds only the fields below, each checked: what a
 * client sent beyond them is dropped, so nothing unvalidated is ever stored or echoed back.
 */
export interface ClientMetadata {
  /** Client ID Metadata Documents only: the document's own URL. */
  readonly client_id?: string;
  /** As the client wrote them (exact matching compares these strings), without duplicates. */
  readonly redirect_uris: readonly string[];
  readonly token_endpoint_auth_method: TokenEndpointAuthMethod;
  readonly grant_types: readonly ClientGrantType[];
  readonly response_types: readonly ['code'];
  readonly client_name?: string;
  readonly client_uri?: string;
  readonly logo_uri?: string;
  readonly tos_uri?: string;
  readonly policy_uri?: string;
  /** Space-separated, duplicates removed; which scopes a client gets is decided at authorization. */
  readonly scope?: string;
  readonly contacts?: readonly string[];
  readonly software_id?: string;
  readonly software_version?: string;
}

export interface ValidateClientMetadataOptions {
  /** dcr: an RFC 7591 registration request; cimd: a Client ID Metadata Document. */
  readonly kind: 'dcr' | 'cimd';
  /** cimd: the URL the document was fetched from, which its client_id must equal. */
  readonly clientIdUrl?: string;
}

export const CLIENT_METADATA_LIMITS = {
  redirectUris: 20,
  uriLength: 2000,
  clientName: 100,
  scopeLength: 1000,
  contacts: 10,
  contactLength: 320,
  shortText: 200,
} as const;

const DCR_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'none'];
const GRANT_TYPES: readonly ClientGrantType[] = ['authorization_code', 'refresh_token'];
/** Schemes that run or read something where the browser lands: never a redirect target. */
const DANGEROUS_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:', 'filesystem:']);
const URI_FIELDS = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri'] as const;
// C0/C1 controls, line/paragraph separators and bidi overrides: they break logs and let a name
// on the consent page read differently from what it is.
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/**
 * Checks RFC 7591 client metadata, from a registration request or a Client ID Metadata Document
 * (draft-ietf-oauth-client-id-metadata-document), and returns it in normal form; throws a
 * ClientMetadataError (invalid_redirect_uri or invalid_client_metadata) naming the first field at fault.
 * Only the authorization code flow is accepted: grant types authorization_code (+ refresh_token),
 * response type code.
 */
export function validateClientMetadata(input: unknown, options: ValidateClientMetadataOptions): ClientMetadata {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ClientMetadataError('invalid_client_metadata', 'metadata', 'Client metadata must be a JSON object');
  }
  const doc = input as Record<string, unknown>;
  const field = (name: string): unknown => (doc[name] === null ? undefined : doc[name]);

  let clientId: string | undefined;
  if (options.kind === 'cimd') {
    if (options.clientIdUrl === undefined) throw new TypeError('validateClientMetadata: kind cimd needs the clientIdUrl the document came from');
    clientId = checkCimdIdentity(doc, options.clientIdUrl);
  }

  const metadata: { -readonly [K in keyof ClientMetadata]: ClientMetadata[K] } = {
    ...(clientId === undefined ? {} : { client_id: clientId }),
    redirect_uris: redirectUris(field('redirect_uris')),
    token_endpoint_auth_method: authMethod(field('token_endpoint_auth_method'), options.kind),
    grant_types: grantTypes(field('grant_types')),
    response_types: responseTypes(field('response_types')),
  };
  const name = optionalText(field('client_name'), 'client_name', CLIENT_METADATA_LIMITS.clientName);
  if (name !== undefined) metadata.client_name = name;
  for (const uriField of URI_FIELDS) {
    const uri = httpsUri(field(uriField), uriField);
    if (uri !== undefined) metadata[uriField] = uri;
  }
  const scope = scopeValue(field('scope'));
  if (scope !== undefined) metadata.scope = scope;
  const contacts = contactList(field('contacts'));
  if (contacts !== undefined) metadata.contacts = contacts;
  const softwareId = optionalText(field('software_id'), 'software_id', CLIENT_METADATA_LIMITS.shortText);
  if (softwareId !== undefined) metadata.software_id = softwareId;
  const softwareVersion = optionalText(field('software_version'), 'software_version', CLIENT_METADATA_LIMITS.shortText);
  if (softwareVersion !== undefined) metadata.software_version = softwareVersion;
  return metadata;
}

/** Whether a client_id names a metadata document (an https URL) rather than a client csmcp registered. */
export function isClientIdUrl(clientId: string): boolean {
  return clientId.startsWith('https://');
}

/**
 * Checks a client_id URL as the draft requires (https, a path, no dot segments, fragment or
 * userinfo) and, because client_ids are compared as strings, that it is written in normal form
 * (lower-case host, no default port...). Returns the parsed URL; throws a ClientMetadataError on client_id.
 */
export function parseClientIdUrl(value: string): URL {
  const refuse = (why: string): never => {
    throw new ClientMetadataError('invalid_client_metadata', 'client_id', `client_id ${quoteValue(value)} is not a usable client ID metadata document URL: ${why}`);
  };
  if (value.length > CLIENT_METADATA_LIMITS.uriLength) refuse(`longer than ${CLIENT_METADATA_LIMITS.uriLength} characters`);
  if (/[\s\u0000-\u001f\u007f]/.test(value)) refuse('it contains whitespace or control characters');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse('not an absolute URL');
  }
  if (url.protocol !== 'https:') refuse('it must use https');
  if (url.username || url.password || /^https:\/\/[^/]*@/i.test(value)) refuse('it must not contain a user name or password');
  if (value.includes('#')) refuse('it must not contain a fragment');
  const rawPath = /^https:\/\/[^/?#]*([^?#]*)/i.exec(value)?.[1] ?? '';
  if (rawPath === '') refuse('it must contain a path, e.g. https://app.example/oauth/client.json');
  if (rawPath.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) refuse('it must not contain . or .. path segments');
  if (url.href !== value) refuse(`write it in normal form, ${quoteValue(url.href)}`);
  return url;
}

function checkCimdIdentity(doc: Record<string, unknown>, clientIdUrl: string): string {
  if (doc.client_id !== clientIdUrl) {
    const got = typeof doc.client_id === 'string' ? quoteValue(doc.client_id) : 'missing';
    throw new ClientMetadataError('invalid_client_metadata', 'client_id', `client_id in the metadata document must equal the URL it was fetched from, ${quoteValue(clientIdUrl)}; got ${got}`);
  }
  // A document anyone can read cannot hold a secret.
  for (const secretField of ['client_secret', 'client_secret_expires_at']) {
    if (doc[secretField] !== undefined) {
      throw new ClientMetadataError('invalid_client_metadata', secretField, `${secretField} must not appear in a client ID metadata document: it is public, so it cannot hold a shared secret`);
    }
  }
  return clientIdUrl;
}

function redirectUris(value: unknown): string[] {
  if (value === undefined) throw new ClientMetadataError('invalid_redirect_uri', 'redirect_uris', 'redirect_uris is required: an array of the https URLs (or http loopback URLs) the client receives codes at');
  if (!Array.isArray(value) || value.length === 0) throw new ClientMetadataError('invalid_redirect_uri', 'redirect_uris', 'redirect_uris must be a non-empty array of URL strings');
  if (value.length > CLIENT_METADATA_LIMITS.redirectUris) {
    throw new ClientMetadataError('invalid_redirect_uri', 'redirect_uris', `redirect_uris has ${value.length} entries; at most ${CLIENT_METADATA_LIMITS.redirectUris} are accepted`);
  }
  return [...new Set(value.map((uri, i) => redirectUri(uri, `redirect_uris[${i}]`)))];
}

const LOOPBACK_HTTP = 'http only on a loopback host (http://127.0.0.1:PORT/..., http://[::1]:PORT/... or http://localhost:PORT/...)';

function redirectUri(value: unknown, name: string): string {
  const refuse = (why: string): never => {
    throw new ClientMetadataError('invalid_redirect_uri', name, `${name} ${typeof value === 'string' ? `${quoteValue(value)} ` : ''}${why}`);
  };
  if (typeof value !== 'string') return refuse('must be a string');
  if (value.length > CLIENT_METADATA_LIMITS.uriLength) refuse(`is longer than ${CLIENT_METADATA_LIMITS.uriLength} characters`);
  // The URL parser silently drops tabs and newlines; the stored string must be the checked one.
  if (/[\s\u0000-\u001f\u007f]/.test(value)) refuse('contains whitespace or control characters');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse('is not an absolute URL');
  }
  if (DANGEROUS_SCHEMES.has(url.protocol)) refuse(`uses the ${url.protocol} scheme, which is never allowed; use https, or ${LOOPBACK_HTTP}`);
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname)) refuse(`uses http on a host that is not loopback; use https, or ${LOOPBACK_HTTP}`);
  } else if (url.protocol !== 'https:') {
    refuse(`uses the ${url.protocol} scheme; only https is accepted, or ${LOOPBACK_HTTP}`);
  }
  if (value.includes('#')) refuse('contains a fragment (#), which redirect URIs must not have');
  if (url.username || url.password || /^https?:\/\/[^/?#]*@/i.test(value)) refuse('contains a user name or password');
  if (value.includes('*')) refuse('contains a wildcard (*); register each redirect URI exactly');
  if (!url.hostname) refuse('has no host');
  return value;
}

function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  return isIP(hostname) === 4 && hostname.startsWith('127.');
}

function authMethod(value: unknown, kind: 'dcr' | 'cimd'): TokenEndpointAuthMethod {
  const name = 'token_endpoint_auth_method';
  if (kind === 'cimd') {
    // RFC 7591's default (client_secret_basic) cannot apply to a public document, so absent means none.
    if (value === undefined || value === 'none') return 'none';
    if (value === 'private_key_jwt') throw new ClientMetadataError('invalid_client_metadata', name, `${name} private_key_jwt is not supported yet; metadata document clients must use none (with PKCE)`);
    throw new ClientMetadataError('invalid_client_metadata', name, `${name} ${describeValue(value)} is not allowed for a client ID metadata document, which cannot hold a shared secret; use none`);
  }
  if (value === undefined) return 'client_secret_basic'; // RFC 7591 §2
  if (typeof value === 'string' && (DCR_AUTH_METHODS as readonly string[]).includes(value)) return value as TokenEndpointAuthMethod;
  throw new ClientMetadataError('invalid_client_metadata', name, `${name} ${describeValue(value)} is not supported; use one of ${DCR_AUTH_METHODS.join(', ')}`);
}

function grantTypes(value: unknown): ClientGrantType[] {
  const name = 'grant_types';
  if (value === undefined) return ['authorization_code']; // RFC 7591 §2
  const list = stringArray(value, name);
  for (const grant of list) {
    if (!(GRANT_TYPES as readonly string[]).includes(grant)) {
      throw new ClientMetadataError('invalid_client_metadata', name, `${name} ${quoteValue(grant)} is not supported; only authorization_code and refresh_token are`);
    }
  }
  if (!list.includes('authorization_code')) throw new ClientMetadataError('invalid_client_metadata', name, `${name} must include authorization_code (refresh_token alone has no way to start)`);
  return [...new Set(list)] as ClientGrantType[];
}

function responseTypes(value: unknown): ['code'] {
  const name = 'response_types';
  if (value === undefined) return ['code']; // RFC 7591 §2
  const list = stringArray(value, name);
  const other = list.find((type) => type !== 'code');
  if (other !== undefined) throw new ClientMetadataError('invalid_client_metadata', name, `${name} ${quoteValue(other)} is not supported; only code is (the authorization code flow)`);
  if (list.length === 0) throw new ClientMetadataError('invalid_client_metadata', name, `${name} must be ["code"]`);
  return ['code'];
}

function stringArray(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 10 || !value.every((v) => typeof v === 'string')) {
    throw new ClientMetadataError('invalid_client_metadata', name, `${name} must be a non-empty array of at most 10 strings`);
  }
  return value as string[];
}

function optionalText(value: unknown, name: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ClientMetadataError('invalid_client_metadata', name, `${name} must be a string`);
  const text = value.normalize('NFC').trim();
  if (text === '') throw new ClientMetadataError('invalid_client_metadata', name, `${name} must not be empty`);
  if ([...text].length > max) throw new ClientMetadataError('invalid_client_metadata', name, `${name} is longer than ${max} characters`);
  if (UNSAFE_TEXT.test(text)) throw new ClientMetadataError('invalid_client_metadata', name, `${name} contains control or bidirectional-override characters`);
  return text;
}

function httpsUri(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  const refuse = (why: string): never => {
    throw new ClientMetadataError('invalid_client_metadata', name, `${name} ${why}`);
  };
  if (typeof value !== 'string') return refuse('must be a string');
  if (value.length > CLIENT_METADATA_LIMITS.uriLength) refuse(`is longer than ${CLIENT_METADATA_LIMITS.uriLength} characters`);
  if (/[\s\u0000-\u001f\u007f]/.test(value)) refuse('contains whitespace or control characters');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse(`${quoteValue(value)} is not an absolute URL`);
  }
  if (url.protocol !== 'https:') refuse(`must be an https URL, got the ${url.protocol} scheme`);
  if (url.username || url.password) refuse('must not contain a user name or password');
  return value;
}

function scopeValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const name = 'scope';
  if (typeof value !== 'string' || value.length > CLIENT_METADATA_LIMITS.scopeLength) {
    throw new ClientMetadataError('invalid_client_metadata', name, `${name} must be a string of space-separated scopes, at most ${CLIENT_METADATA_LIMITS.scopeLength} characters`);
  }
  const scopes = value.split(' ').filter((s) => s !== '');
  // RFC 6749 §3.3 scope-token characters.
  const bad = scopes.find((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s));
  if (bad !== undefined) throw new ClientMetadataError('invalid_client_metadata', name, `${name} ${quoteValue(bad)} contains characters a scope cannot have`);
  return scopes.length === 0 ? undefined : [...new Set(scopes)].join(' ');
}

function contactList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const name = 'contacts';
  if (!Array.isArray(value) || value.length > CLIENT_METADATA_LIMITS.contacts) {
    throw new ClientMetadataError('invalid_client_metadata', name, `${name} must be an array of at most ${CLIENT_METADATA_LIMITS.contacts} strings`);
  }
  return value.map((contact, i) => {
    const text = optionalText(contact, `${name}[${i}]`, CLIENT_METADATA_LIMITS.contactLength);
    if (text === undefined) throw new ClientMetadataError('invalid_client_metadata', `${name}[${i}]`, `${name}[${i}] must be a string`);
    return text;
  });
}

function describeValue(value: unknown): string {
  return typeof value === 'string' ? quoteValue(value) : `of type ${value === null ? 'null' : typeof value}`;
}
