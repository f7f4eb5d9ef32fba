import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';
import { resolve } from 'node:path';
import { parseAllowedHost } from '../net/guarded-fetch';
import { parseTrustedProxies } from '../net/client-address';
import { parseRate, type Rate } from '../net/rate-limit';
import { readIdentityProviderConfig, type IdentityProviderConfig } from '../auth/identity-provider/identity-provider.config';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const USER_MATCHES = ['email', 'user_id'] as const;
type UserMatch = (typeof USER_MATCHES)[number];
const ACCESS_CONTEXTS = ['personal', 'shared'] as const;
type AccessContext = (typeof ACCESS_CONTEXTS)[number];
const ON_OFF = ['on', 'off'] as const;
type OnOff = (typeof ON_OFF)[number];
/** A rotated-out signing key stays published at least the access token lifetime (30 min) plus the refresh grace (2 s). */
export const MIN_SIGNING_KEY_RETIRE_AFTER_MINUTES = 31;
const DEFAULT_SIGNING_KEY_RETIRE_AFTER_MS = 24 * 3_600_000;
const BUILT_IN_SERVER_VARIABLES = ['OAUTH_DYNAMIC_REGISTRATION', 'OAUTH_CLIENT_ID_METADATA_DOCUMENTS', 'OAUTH_SIGNING_KEY_RETIRE_AFTER'] as const;
// Off by default: a fitting budget depends on the clients (a chat vs. a bulk sync); README suggests values.
const RATE_LIMIT_VARIABLES = ['RATE_LIMIT_PER_USER', 'RATE_LIMIT_PER_INTEGRATION'] as const;
const MCP_LIMIT_VARIABLES = ['MCP_MAX_SESSIONS_PER_USER', 'MCP_MAX_STREAMS_PER_USER'] as const;
const MAX_MCP_LIMIT = 10_000;
/**
 * Defaults of MCP_MAX_SESSIONS_PER_USER and MCP_MAX_STREAMS_PER_USER: generous for people, a bound for a
 * leaking client. Streams are twice the sessions: every session's client may hold its GET stream open
 * (the SDK's client does), and legacy SSE streams come on top.
 */
export const DEFAULT_MCP_LIMITS = { sessionsPerUser: 32, streamsPerUser: 64 } as const;
const OAUTH_VARIABLES = ['OAUTH_ISSUER', 'OAUTH_JWKS_URL', 'OAUTH_AUDIENCE', 'OAUTH_USER_CLAIM', 'OAUTH_USER_MATCH', 'OAUTH_ACCESS_CONTEXT'] as const;

/** The environment csmcp reads, validated at start. Names and defaults are documented in README.md. */
class Environment {
  @IsOptional()
  @IsInt({ message: 'PORT must be an integer from 0 to 65535 (0 picks a free port)' })
  @Min(0, { message: 'PORT must be an integer from 0 to 65535 (0 picks a free port)' })
  @Max(65535, { message: 'PORT must be an integer from 0 to 65535 (0 picks a free port)' })
  PORT?: number;

  @IsOptional()
  @IsString()
  @MinLength(1, { message: 'HOST must be a host name or IP address to listen on, e.g. 127.0.0.1 or 0.0.0.0' })
  HOST?: string;

  @IsOptional()
  @IsString()
  @MinLength(1, { message: 'DATA_DIR must be a directory path (default ./data)' })
  DATA_DIR?: string;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a PostgreSQL URL: postgres://user[:password]@host[:port]/database' })
  DATABASE_URL?: string;

  @IsOptional()
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'DATABASE_SCHEMA must be a lower-case PostgreSQL identifier (letters, digits, _), e.g. csmcp' })
  DATABASE_SCHEMA?: string;

  @IsOptional()
  @Matches(/^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kurrent|kurrent\+discover):\/\/\S+$/, {
    message: 'EVENTSTORE_URL must be an EventStoreDB/KurrentDB connection string: esdb://host:2113?tls=false or kurrentdb://...',
  })
  EVENTSTORE_URL?: string;

  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL?: LogLevel;

  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*[^\s?#/])?$/, {
    message: 'PUBLIC_URL must be the http(s) URL clients reach csmcp at, without a trailing slash, query or fragment, e.g. https://csmcp.example.com',
  })
  PUBLIC_URL?: string;

  @IsOptional()
  @Matches(/^\s*(\*|https?:\/\/[^\s,/]+)(\s*,\s*(\*|https?:\/\/[^\s,/]+))*\s*$/, {
    message: 'MCP_ALLOWED_ORIGINS must be a comma-separated list of origins like https://app.example.com (scheme and host, no path), or * for any',
  })
  MCP_ALLOWED_ORIGINS?: string;

  // OAUTH_ISSUER and OAUTH_JWKS_URL: checked by oauthUrlProblem (https, or http on a loopback host).
  @IsOptional()
  @IsString()
  OAUTH_ISSUER?: string;

  @IsOptional()
  @IsString()
  OAUTH_JWKS_URL?: string;

  @IsOptional()
  @Matches(/^[\x21-\x7e]{1,500}$/, { message: 'OAUTH_AUDIENCE must be the audience value the authorization server puts in aud (no spaces), e.g. https://csmcp.example.com/mcp or api://csmcp' })
  OAUTH_AUDIENCE?: string;

  @IsOptional()
  @Matches(/^[\x21-\x7e]{1,200}$/, { message: 'OAUTH_USER_CLAIM must be the name of a claim of the access token (no spaces), e.g. email, preferred_username or sub' })
  OAUTH_USER_CLAIM?: string;

  @IsOptional()
  @IsIn(USER_MATCHES, { message: `OAUTH_USER_MATCH must be one of ${USER_MATCHES.join(', ')} (what the OAUTH_USER_CLAIM claim holds: a user's email, or a csmcp user id)` })
  OAUTH_USER_MATCH?: UserMatch;

  @IsOptional()
  @IsIn(ACCESS_CONTEXTS, { message: `OAUTH_ACCESS_CONTEXT must be one of ${ACCESS_CONTEXTS.join(', ')} (personal: what the signed-in user may see; shared: the whole organisation)` })
  OAUTH_ACCESS_CONTEXT?: AccessContext;

  // Checked by parseTrustedProxies (addresses or CIDR ranges).
  @IsOptional()
  @IsString()
  TRUSTED_PROXIES?: string;

  // Checked with parseAllowedHost (each entry a host, host:port or IP, as guardedFetch reads them).
  @IsOptional()
  @IsString()
  OAUTH_CIMD_ALLOWED_HOSTS?: string;

  @IsOptional()
  @IsIn(ON_OFF, { message: 'OAUTH_DYNAMIC_REGISTRATION must be on or off (on: clients may register themselves at /oauth/register, RFC 7591; off: only the integrations an admin registers, and client ID metadata documents unless those are off too)' })
  OAUTH_DYNAMIC_REGISTRATION?: OnOff;

  @IsOptional()
  @IsIn(ON_OFF, { message: 'OAUTH_CLIENT_ID_METADATA_DOCUMENTS must be on or off (on: an https URL is accepted as client_id and its metadata document fetched; off: such client ids are refused)' })
  OAUTH_CLIENT_ID_METADATA_DOCUMENTS?: OnOff;

  // Checked by signingKeyRetireAfter (a duration of at least MIN_SIGNING_KEY_RETIRE_AFTER_MINUTES, or off).
  @IsOptional()
  @IsString()
  OAUTH_SIGNING_KEY_RETIRE_AFTER?: string;

  // Checked by connectorTokenKey (base64 of 32 bytes); never echoed in an error.
  @IsOptional()
  @IsString()
  CONNECTOR_TOKEN_KEY?: string;

  @IsOptional()
  @IsString()
  CONNECTOR_TOKEN_OLD_KEYS?: string;

  // RATE_LIMIT_PER_USER and RATE_LIMIT_PER_INTEGRATION: checked by parseRate (n/s, n/min, n/h, or 0/off).
  @IsOptional()
  @IsString()
  RATE_LIMIT_PER_USER?: string;

  @IsOptional()
  @IsString()
  RATE_LIMIT_PER_INTEGRATION?: string;

  @IsOptional()
  @IsInt({ message: `MCP_MAX_SESSIONS_PER_USER must be a whole number from 1 to ${MAX_MCP_LIMIT} (open MCP sessions per user or machine client; past it the least recently used one is closed)` })
  @Min(1, { message: `MCP_MAX_SESSIONS_PER_USER must be a whole number from 1 to ${MAX_MCP_LIMIT} (open MCP sessions per user or machine client; past it the least recently used one is closed)` })
  @Max(MAX_MCP_LIMIT, { message: `MCP_MAX_SESSIONS_PER_USER must be a whole number from 1 to ${MAX_MCP_LIMIT} (open MCP sessions per user or machine client; past it the least recently used one is closed)` })
  MCP_MAX_SESSIONS_PER_USER?: number;

  @IsOptional()
  @IsInt({ message: `MCP_MAX_STREAMS_PER_USER must be a whole number from 1 to ${MAX_MCP_LIMIT} (SSE streams a user or machine client may hold open on one instance; past it 429)` })
  @Min(1, { message: `MCP_MAX_STREAMS_PER_USER must be a whole number from 1 to ${MAX_MCP_LIMIT} (SSE streams a user or machine client may hold open on one instance; past it 429)` })
  @Max(MAX_MCP_LIMIT, { message: `MCP_MAX_STREAMS_PER_USER must be a whole number from 1 to ${MAX_MCP_LIMIT} (SSE streams a user or machine client may hold open on one instance; past it 429)` })
  MCP_MAX_STREAMS_PER_USER?: number;
}

export type StoreConfig =
  | { readonly kind: 'sqlite'; readonly filename: string }
  | { readonly kind: 'postgres'; readonly connectionString: string; readonly schema: string }
  | { readonly kind: 'eventstoredb'; readonly connectionString: string };

export type ReadModelConfig =
  | { readonly kind: 'sqlite'; readonly filename: string }
  | { readonly kind: 'postgres'; readonly connectionString: string; readonly schema: string };

export interface AppConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  /** Where events live: EVENTSTORE_URL wins, then DATABASE_URL, else the embedded SQLite file. */
  readonly eventStore: StoreConfig;
  /** Where read models live: PostgreSQL when DATABASE_URL is set, else SQLite beside the events. */
  readonly readModels: ReadModelConfig;
  /** The URL clients reach csmcp at (behind a proxy); null = the address it listens on. */
  readonly publicUrl: string | null;
  /** Browser origins allowed on the MCP endpoint besides the built-in connector hosts; '*' = any. */
  readonly allowedOrigins: readonly string[];
  /** An external authorization server whose JWT access tokens the MCP endpoint accepts; null or absent = none. */
  readonly oauth?: ExternalAuthorizationServerConfig | null;
  /** TRUSTED_PROXIES: reverse proxies (CIDR ranges) whose X-Forwarded-For is believed; absent or empty = none. */
  readonly trustedProxies?: readonly string[];
  /**
   * Hosts whose client ID metadata documents the built-in authorization server may fetch although they
   * resolve to private or loopback addresses (OAUTH_CIMD_ALLOWED_HOSTS); absent or empty = public addresses only.
   */
  readonly cimdAllowedHosts?: readonly string[];
  /** OAUTH_DYNAMIC_REGISTRATION: the built-in authorization server's registration endpoint (RFC 7591); absent = on. */
  readonly dynamicClientRegistration?: boolean;
  /** OAUTH_CLIENT_ID_METADATA_DOCUMENTS: an https URL as client_id; absent = on. */
  readonly clientIdMetadataDocuments?: boolean;
  /**
   * OAUTH_SIGNING_KEY_RETIRE_AFTER: how long after a rotation the previous signing key is retired
   * automatically (ms); null = only by `csmcp oauth keys retire-old`; absent = 24 hours.
   */
  readonly signingKeyRetireAfterMs?: number | null;
  /** IDP_*: the company's identity provider, a second way to sign in on the built-in sign-in page; null or absent = none. */
  readonly identityProvider?: IdentityProviderConfig | null;
  /**
   * CONNECTOR_TOKEN_KEY and CONNECTOR_TOKEN_OLD_KEYS: the AES-256 keys (32 bytes each) that encrypt the
   * outbound connectors' tokens and client secrets at rest; the first encrypts, the others only decrypt
   * (a rotation). Absent or null = not set (OAuth connectors refuse to store credentials).
   */
  readonly connectorTokenKeys?: { readonly current: Buffer; readonly previous: readonly Buffer[] } | null;
  /**
   * RATE_LIMIT_PER_USER and RATE_LIMIT_PER_INTEGRATION: token buckets at /mcp and /admin/api, per user
   * (all their tokens) and per integration (OAuth client, machine client); per process. null or absent = no limit.
   */
  readonly rateLimits?: { readonly perUser: Rate | null; readonly perIntegration: Rate | null };
  /**
   * MCP_MAX_SESSIONS_PER_USER: open Streamable HTTP sessions per user or machine client (all instances);
   * MCP_MAX_STREAMS_PER_USER: SSE streams (GET streams and legacy SSE) one may hold open on an instance.
   * Absent = DEFAULT_MCP_LIMITS.
   */
  readonly mcpLimits?: { readonly sessionsPerUser: number; readonly streamsPerUser: number };
}

/** OAUTH_*: trust the JWT access tokens of an authorization server the company already runs. */
export interface ExternalAuthorizationServerConfig {
  /** `iss` of its tokens, compared exactly (OAUTH_ISSUER). */
  readonly issuer: string;
  /** Its JSON Web Key Set; null = discovered from the issuer's metadata (OAUTH_JWKS_URL). */
  readonly jwksUrl: string | null;
  /** A value `aud` must list; null = the URL of the MCP path the token is presented at (OAUTH_AUDIENCE). */
  readonly audience: string | null;
  /** The claim naming the csmcp user (OAUTH_USER_CLAIM, default email)… */
  readonly userClaim: string;
  /** …as an email address or a csmcp user id (OAUTH_USER_MATCH, default email). */
  readonly userMatch: UserMatch;
  /** What its tokens may see (OAUTH_ACCESS_CONTEXT, default personal). */
  readonly accessContext: AccessContext;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and checks the environment; throws ConfigError naming every wrong variable and what is allowed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, unknown> = {};
  for (const key of ['PORT', 'HOST', 'DATA_DIR', 'DATABASE_URL', 'DATABASE_SCHEMA', 'EVENTSTORE_URL', 'LOG_LEVEL', 'PUBLIC_URL', 'MCP_ALLOWED_ORIGINS', 'TRUSTED_PROXIES', ...OAUTH_VARIABLES, 'OAUTH_CIMD_ALLOWED_HOSTS', ...BUILT_IN_SERVER_VARIABLES, 'CONNECTOR_TOKEN_KEY', 'CONNECTOR_TOKEN_OLD_KEYS', ...RATE_LIMIT_VARIABLES, ...MCP_LIMIT_VARIABLES]) {
    const value = env[key];
    // An empty variable means "not set", as in most shells' `VAR= cmd`.
    if (value !== undefined && value !== '') raw[key] = value;
  }
  for (const key of ['PORT', ...MCP_LIMIT_VARIABLES]) if (raw[key] !== undefined) raw[key] = /^\d+$/.test(String(raw[key])) ? Number(raw[key]) : raw[key];
  const parsed = plainToInstance(Environment, raw);
  const errors = validateSync(parsed, { forbidUnknownValues: false });
  const problems = errors.flatMap((e) => Object.values(e.constraints ?? {}).slice(0, 1).map((m) => `${m} (got ${JSON.stringify(raw[e.property])})`));
  for (const name of ['OAUTH_ISSUER', 'OAUTH_JWKS_URL'] as const) {
    const problem = parsed[name] === undefined ? null : oauthUrlProblem(name, parsed[name]);
    if (problem) problems.push(`${problem} (got ${JSON.stringify(parsed[name])})`);
  }
  const cimdAllowedHosts = parsed.OAUTH_CIMD_ALLOWED_HOSTS === undefined ? [] : parsed.OAUTH_CIMD_ALLOWED_HOSTS.split(',').map((h) => h.trim()).filter((h) => h !== '');
  for (const host of cimdAllowedHosts) {
    try {
      parseAllowedHost(host);
    } catch {
      problems.push(`OAUTH_CIMD_ALLOWED_HOSTS must be a comma-separated list of host names or IP addresses with an optional port (e.g. apps.internal, 10.0.0.5:8443, [fd00::1]), no scheme, path or wildcard (got ${JSON.stringify(host)})`);
    }
  }
  if (!parsed.OAUTH_ISSUER) {
    const stray = OAUTH_VARIABLES.filter((name) => name !== 'OAUTH_ISSUER' && parsed[name] !== undefined);
    if (stray.length > 0) problems.push(`${stray.join(', ')} ${stray.length === 1 ? 'needs' : 'need'} OAUTH_ISSUER: the authorization server whose tokens to trust`);
  }
  let trustedProxies: string[] = [];
  try {
    trustedProxies = parsed.TRUSTED_PROXIES === undefined ? [] : parseTrustedProxies(parsed.TRUSTED_PROXIES);
  } catch (error) {
    problems.push(`${(error as Error).message} (got ${JSON.stringify(parsed.TRUSTED_PROXIES)})`);
  }
  const retireAfter = parsed.OAUTH_SIGNING_KEY_RETIRE_AFTER === undefined ? DEFAULT_SIGNING_KEY_RETIRE_AFTER_MS : signingKeyRetireAfter(parsed.OAUTH_SIGNING_KEY_RETIRE_AFTER);
  if (retireAfter === undefined)
    problems.push(
      `OAUTH_SIGNING_KEY_RETIRE_AFTER must be a duration of at least ${MIN_SIGNING_KEY_RETIRE_AFTER_MINUTES}m (the 30-minute access token lifetime plus the refresh grace) in minutes, hours or days, e.g. 90m, 24h or 7d, or off (retired only by csmcp oauth keys retire-old) (got ${JSON.stringify(parsed.OAUTH_SIGNING_KEY_RETIRE_AFTER)})`,
    );
  const [perUser, perIntegration] = RATE_LIMIT_VARIABLES.map((name) => {
    const value = parsed[name];
    const rate = value === undefined ? null : parseRate(value);
    if (rate === undefined)
      problems.push(
        `${name} must be a number of requests per second, minute or hour, e.g. 600/min, 20/s or 10000/h, or 0 or off for no limit (got ${JSON.stringify(value)})`,
      );
    return rate ?? null;
  });
  const connectorTokenKeys = readConnectorTokenKeys(parsed.CONNECTOR_TOKEN_KEY, parsed.CONNECTOR_TOKEN_OLD_KEYS, problems);
  const identityProvider = readIdentityProviderConfig(env, { externalIssuer: parsed.OAUTH_ISSUER !== undefined });
  problems.push(...identityProvider.problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = resolve(parsed.DATA_DIR ?? './data');
  const schema = parsed.DATABASE_SCHEMA ?? 'public';
  const readModels: ReadModelConfig = parsed.DATABASE_URL
    ? { kind: 'postgres', connectionString: parsed.DATABASE_URL, schema }
    : { kind: 'sqlite', filename: resolve(dataDir, 'read-models.db') };
  const eventStore: StoreConfig = parsed.EVENTSTORE_URL
    ? { kind: 'eventstoredb', connectionString: parsed.EVENTSTORE_URL }
    : parsed.DATABASE_URL
      ? { kind: 'postgres', connectionString: parsed.DATABASE_URL, schema }
      : { kind: 'sqlite', filename: resolve(dataDir, 'events.db') };
  return {
    port: parsed.PORT ?? 3000,
    host: parsed.HOST ?? '127.0.0.1',
    dataDir,
    logLevel: parsed.LOG_LEVEL ?? 'info',
    eventStore,
    readModels,
    publicUrl: parsed.PUBLIC_URL ?? null,
    allowedOrigins: parsed.MCP_ALLOWED_ORIGINS ? parsed.MCP_ALLOWED_ORIGINS.split(',').map((o) => o.trim().toLowerCase()) : [],
    trustedProxies,
    oauth: parsed.OAUTH_ISSUER
      ? {
          issuer: parsed.OAUTH_ISSUER,
          jwksUrl: parsed.OAUTH_JWKS_URL ?? null,
          audience: parsed.OAUTH_AUDIENCE ?? null,
          userClaim: parsed.OAUTH_USER_CLAIM ?? 'email',
          userMatch: parsed.OAUTH_USER_MATCH ?? 'email',
          accessContext: parsed.OAUTH_ACCESS_CONTEXT ?? 'personal',
        }
      : null,
    cimdAllowedHosts,
    dynamicClientRegistration: parsed.OAUTH_DYNAMIC_REGISTRATION !== 'off',
    clientIdMetadataDocuments: parsed.OAUTH_CLIENT_ID_METADATA_DOCUMENTS !== 'off',
    signingKeyRetireAfterMs: retireAfter ?? null,
    identityProvider: identityProvider.config,
    connectorTokenKeys,
    rateLimits: { perUser, perIntegration },
    mcpLimits: {
      sessionsPerUser: parsed.MCP_MAX_SESSIONS_PER_USER ?? DEFAULT_MCP_LIMITS.sessionsPerUser,
      streamsPerUser: parsed.MCP_MAX_STREAMS_PER_USER ?? DEFAULT_MCP_LIMITS.streamsPerUser,
    },
  };
}

/** CONNECTOR_TOKEN_KEY (and the old keys kept for decryption): base64 of exactly 32 bytes each. The values are never echoed. */
function readConnectorTokenKeys(current: string | undefined, old: string | undefined, problems: string[]): AppConfig['connectorTokenKeys'] {
  const how = 'base64 of 32 random bytes, e.g. the output of `openssl rand -base64 32`';
  const decode = (value: string): Buffer | null => {
    const trimmed = value.trim();
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return null;
    const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return key.length === 32 ? key : null;
  };
  const oldValues = old === undefined ? [] : old.split(',').map((k) => k.trim()).filter((k) => k !== '');
  if (current === undefined) {
    if (oldValues.length > 0) problems.push('CONNECTOR_TOKEN_OLD_KEYS needs CONNECTOR_TOKEN_KEY: the old keys only decrypt, the current key encrypts');
    return null;
  }
  const key = decode(current);
  if (!key) problems.push(`CONNECTOR_TOKEN_KEY must be ${how} (the value is not shown)`);
  const previous = oldValues.map((value, i) => {
    const decoded = decode(value);
    if (!decoded) problems.push(`CONNECTOR_TOKEN_OLD_KEYS must be a comma-separated list of keys, each ${how}; entry ${i + 1} is not (the value is not shown)`);
    return decoded;
  });
  return key ? { current: key, previous: previous.filter((k): k is Buffer => k !== null) } : null;
}

/** `90m`, `24h`, `7d` in ms (at least the minimum), null for `off`, undefined when neither. */
function signingKeyRetireAfter(value: string): number | null | undefined {
  if (value === 'off') return null;
  const match = /^(\d{1,6})(m|h|d)$/.exec(value);
  if (!match) return undefined;
  const ms = Number(match[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'];
  return ms >= MIN_SIGNING_KEY_RETIRE_AFTER_MINUTES * 60_000 ? ms : undefined;
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The issuer and its key set are where csmcp gets the keys it trusts: https, or plain http only on
 * this machine (a local test server). No credentials, query or fragment (RFC 8414 §2 for the issuer).
 */
function oauthUrlProblem(name: 'OAUTH_ISSUER' | 'OAUTH_JWKS_URL', value: string): string | null {
  const what =
    name === 'OAUTH_ISSUER'
      ? 'OAUTH_ISSUER must be the issuer URL of the authorization server, exactly as its tokens carry it in iss: https (http only on localhost, 127.0.0.1 or [::1]), no query or fragment, e.g. https://login.example.com/realms/cs'
      : 'OAUTH_JWKS_URL must be the https URL of the authorization server JSON Web Key Set (http only on localhost, 127.0.0.1 or [::1]), e.g. https://login.example.com/jwks';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return what;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname))) return what;
  if (url.username || url.password || url.hash || value.includes('#') || (name === 'OAUTH_ISSUER' && (url.search || value.includes('?')))) return what;
  return null;
}

/** A connection string with its password masked, for logs and the startup banner. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}

export function describeStore(config: StoreConfig | ReadModelConfig): string {
  return config.kind === 'sqlite' ? `sqlite ${config.filename}` : `${config.kind} ${redactUrl(config.connectionString)}`;
}
