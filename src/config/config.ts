import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';
import { resolve } from 'node:path';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

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
  for (const key of ['PORT', 'HOST', 'DATA_DIR', 'DATABASE_URL', 'DATABASE_SCHEMA', 'EVENTSTORE_URL', 'LOG_LEVEL', 'PUBLIC_URL', 'MCP_ALLOWED_ORIGINS']) {
    const value = env[key];
    // An empty variable means "not set", as in most shells' `VAR= cmd`.
    if (value !== undefined && value !== '') raw[key] = value;
  }
  if (raw.PORT !== undefined) raw.PORT = /^\d+$/.test(String(raw.PORT)) ? Number(raw.PORT) : raw.PORT;
  const parsed = plainToInstance(Environment, raw);
  const errors = validateSync(parsed, { forbidUnknownValues: false });
  if (errors.length > 0)
    throw new ConfigError(
      errors.flatMap((e) => Object.values(e.constraints ?? {}).slice(0, 1).map((m) => `${m} (got ${JSON.stringify(raw[e.property])})`)),
    );

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
  };
}

/** A connection string with its password masked, for logs and the startup banner. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}

export function describeStore(config: StoreConfig | ReadModelConfig): string {
  return config.kind === 'sqlite' ? `sqlite ${config.filename}` : `${config.kind} ${redactUrl(config.connectionString)}`;
}
