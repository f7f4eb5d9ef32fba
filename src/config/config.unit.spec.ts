import { resolve } from 'node:path';
import { ConfigError, loadConfig, redactUrl } from './config';

describe('loadConfig', () => {
  it('defaults to the embedded store in ./data on 127.0.0.1:3000', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', logLevel: 'info', dataDir: resolve('data') });
    expect(config.eventStore).toEqual({ kind: 'sqlite', filename: resolve('data', 'events.db') });
    expect(config.readModels).toEqual({ kind: 'sqlite', filename: resolve('data', 'read-models.db') });
  });

  it('uses PostgreSQL for events and read models when DATABASE_URL is set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/cs', DATABASE_SCHEMA: 'csmcp' });
    expect(config.eventStore).toEqual({ kind: 'postgres', connectionString: 'postgres://u:p@db:5432/cs', schema: 'csmcp' });
    expect(config.readModels).toMatchObject({ kind: 'postgres', schema: 'csmcp' });
  });

  it('uses EventStoreDB for events when EVENTSTORE_URL is set, read models stay local unless DATABASE_URL is set', () => {
    const config = loadConfig({ EVENTSTORE_URL: 'esdb://localhost:2113?tls=false', DATA_DIR: '/tmp/x' });
    expect(config.eventStore).toEqual({ kind: 'eventstoredb', connectionString: 'esdb://localhost:2113?tls=false' });
    expect(config.readModels).toEqual({ kind: 'sqlite', filename: '/tmp/x/read-models.db' });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).eventStore.kind).toBe('sqlite');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be an integer from 0 to 65535 (0 picks a free port) (got "abc")'],
    [{ PORT: '70000' }, 'PORT must be an integer from 0 to 65535 (0 picks a free port) (got 70000)'],
    [{ PORT: '-1' }, 'PORT must be an integer from 0 to 65535 (0 picks a free port) (got "-1")'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must be a PostgreSQL URL'],
    [{ EVENTSTORE_URL: 'http://x' }, 'EVENTSTORE_URL must be an EventStoreDB/KurrentDB connection string'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
    [{ DATABASE_SCHEMA: 'Robert; DROP' }, 'DATABASE_SCHEMA must be a lower-case PostgreSQL identifier'],
    [{ PUBLIC_URL: 'https://csmcp.example.com/' }, 'PUBLIC_URL must be the http(s) URL clients reach csmcp at, without a trailing slash'],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL must be the http(s) URL'],
    [{ MCP_ALLOWED_ORIGINS: 'https://a.example.com/path' }, 'MCP_ALLOWED_ORIGINS must be a comma-separated list of origins'],
  ])('refuses %j naming the variable and what is allowed', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reports every wrong variable at once', () => {
    try {
      loadConfig({ PORT: 'x', LOG_LEVEL: 'y' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(2);
    }
  });

  it('reads the public URL and the allowed origins', () => {
    const config = loadConfig({ PUBLIC_URL: 'https://cs.example.com/base', MCP_ALLOWED_ORIGINS: 'https://A.example.com, http://localhost:5173' });
    expect(config.publicUrl).toBe('https://cs.example.com/base');
    expect(config.allowedOrigins).toEqual(['https://a.example.com', 'http://localhost:5173']);
    expect(loadConfig({}).publicUrl).toBeNull();
    expect(loadConfig({}).allowedOrigins).toEqual([]);
  });

  it('masks passwords in connection strings', () => {
    expect(redactUrl('postgres://csmcp:s3cret@db:5432/cs')).toBe('postgres://csmcp:***@db:5432/cs');
  });
});
