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

  it('reads the rate limits per user and per integration; none unless set, 0 or off for none', () => {
    expect(loadConfig({}).rateLimits).toEqual({ perUser: null, perIntegration: null });
    expect(loadConfig({ RATE_LIMIT_PER_USER: '600/min', RATE_LIMIT_PER_INTEGRATION: '20/s' }).rateLimits).toEqual({
      perUser: { count: 600, periodMs: 60_000 },
      perIntegration: { count: 20, periodMs: 1_000 },
    });
    expect(loadConfig({ RATE_LIMIT_PER_USER: 'off', RATE_LIMIT_PER_INTEGRATION: '0' }).rateLimits).toEqual({ perUser: null, perIntegration: null });
  });

  it('reads the MCP session and stream limits per user: 32 and 16 unless set', () => {
    expect(loadConfig({}).mcpLimits).toEqual({ sessionsPerUser: 32, streamsPerUser: 64 });
    expect(loadConfig({ MCP_MAX_SESSIONS_PER_USER: '5', MCP_MAX_STREAMS_PER_USER: '2' }).mcpLimits).toEqual({ sessionsPerUser: 5, streamsPerUser: 2 });
  });

  it.each(['MCP_MAX_SESSIONS_PER_USER', 'MCP_MAX_STREAMS_PER_USER'])('refuses a %s that is not a whole number from 1 to 10000', (name) => {
    for (const value of ['0', '-3', '2.5', 'many', '10001']) {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: value })).toThrow(`${name} must be a whole number from 1 to 10000`);
    }
  });

  it.each(['RATE_LIMIT_PER_USER', 'RATE_LIMIT_PER_INTEGRATION'])('refuses a %s that is no rate, saying what is allowed', (name) => {
    for (const value of ['600', 'lots', '10/day']) {
      expect(() => loadConfig({ [name]: value })).toThrow(
        `${name} must be a number of requests per second, minute or hour, e.g. 600/min, 20/s or 10000/h, or 0 or off for no limit (got ${JSON.stringify(value)})`,
      );
    }
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

  it('trusts no external authorization server unless OAUTH_ISSUER is set', () => {
    expect(loadConfig({}).oauth).toBeNull();
  });

  it('reads the external authorization server, with defaults', () => {
    expect(loadConfig({ OAUTH_ISSUER: 'https://login.example.com/realms/cs' }).oauth).toEqual({
      issuer: 'https://login.example.com/realms/cs',
      jwksUrl: null,
      audience: null,
      userClaim: 'email',
      userMatch: 'email',
      accessContext: 'personal',
    });
    expect(
      loadConfig({
        OAUTH_ISSUER: 'https://tenant.auth0.com/',
        OAUTH_JWKS_URL: 'https://tenant.auth0.com/.well-known/jwks.json?x=1',
        OAUTH_AUDIENCE: 'api://csmcp',
        OAUTH_USER_CLAIM: 'sub',
        OAUTH_USER_MATCH: 'user_id',
        OAUTH_ACCESS_CONTEXT: 'shared',
      }).oauth,
    ).toEqual({
      issuer: 'https://tenant.auth0.com/',
      jwksUrl: 'https://tenant.auth0.com/.well-known/jwks.json?x=1',
      audience: 'api://csmcp',
      userClaim: 'sub',
      userMatch: 'user_id',
      accessContext: 'shared',
    });
  });

  it('allows plain http for the issuer and its keys only on a loopback host', () => {
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', '127.0.0.2'])
      expect(loadConfig({ OAUTH_ISSUER: `http://${host}`, OAUTH_JWKS_URL: `http://${host}/jwks` }).oauth?.issuer).toBe(`http://${host}`);
  });

  it.each([
    [{ OAUTH_ISSUER: 'http://login.example.com' }, 'OAUTH_ISSUER must be the issuer URL of the authorization server, exactly as its tokens carry it in iss: https (http only on localhost, 127.0.0.1 or [::1])'],
    [{ OAUTH_ISSUER: 'http://10.0.0.5:8080' }, 'OAUTH_ISSUER must be the issuer URL'],
    [{ OAUTH_ISSUER: 'http://localhost.evil.example' }, 'OAUTH_ISSUER must be the issuer URL'],
    [{ OAUTH_ISSUER: 'login.example.com' }, 'OAUTH_ISSUER must be the issuer URL'],
    [{ OAUTH_ISSUER: 'https://login.example.com?tenant=1' }, 'OAUTH_ISSUER must be the issuer URL'],
    [{ OAUTH_ISSUER: 'https://login.example.com#x' }, 'OAUTH_ISSUER must be the issuer URL'],
    [{ OAUTH_ISSUER: 'https://user:pw@login.example.com' }, 'OAUTH_ISSUER must be the issuer URL'],
    [{ OAUTH_ISSUER: 'https://login.example.com', OAUTH_JWKS_URL: 'http://login.example.com/jwks' }, 'OAUTH_JWKS_URL must be the https URL of the authorization server JSON Web Key Set'],
    [{ OAUTH_ISSUER: 'https://login.example.com', OAUTH_AUDIENCE: 'two words' }, 'OAUTH_AUDIENCE must be the audience value'],
    [{ OAUTH_ISSUER: 'https://login.example.com', OAUTH_USER_CLAIM: 'e mail' }, 'OAUTH_USER_CLAIM must be the name of a claim'],
    [{ OAUTH_ISSUER: 'https://login.example.com', OAUTH_USER_MATCH: 'name' }, 'OAUTH_USER_MATCH must be one of email, user_id'],
    [{ OAUTH_ISSUER: 'https://login.example.com', OAUTH_ACCESS_CONTEXT: 'all' }, 'OAUTH_ACCESS_CONTEXT must be one of personal, shared'],
    [{ OAUTH_JWKS_URL: 'https://login.example.com/jwks', OAUTH_AUDIENCE: 'api://csmcp' }, 'OAUTH_JWKS_URL, OAUTH_AUDIENCE need OAUTH_ISSUER: the authorization server whose tokens to trust'],
  ])('refuses the OAuth setting %j naming the variable and what is allowed', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads the hosts whose client ID metadata documents may be on private addresses, and refuses anything but hosts', () => {
    expect(loadConfig({}).cimdAllowedHosts).toEqual([]);
    expect(loadConfig({ OAUTH_CIMD_ALLOWED_HOSTS: 'apps.internal, 10.0.0.5:8443,[fd00::1]' }).cimdAllowedHosts).toEqual(['apps.internal', '10.0.0.5:8443', '[fd00::1]']);
    expect(() => loadConfig({ OAUTH_CIMD_ALLOWED_HOSTS: 'apps.internal,https://x.example/a' })).toThrow(
      'OAUTH_CIMD_ALLOWED_HOSTS must be a comma-separated list of host names or IP addresses with an optional port (e.g. apps.internal, 10.0.0.5:8443, [fd00::1]), no scheme, path or wildcard (got "https://x.example/a")',
    );
    expect(() => loadConfig({ OAUTH_CIMD_ALLOWED_HOSTS: '*.internal' })).toThrow('no scheme, path or wildcard (got "*.internal")');
  });

  it('turns dynamic registration and client ID metadata documents on by default, off with off, and refuses anything else', () => {
    expect(loadConfig({})).toMatchObject({ dynamicClientRegistration: true, clientIdMetadataDocuments: true });
    expect(loadConfig({ OAUTH_DYNAMIC_REGISTRATION: 'off', OAUTH_CLIENT_ID_METADATA_DOCUMENTS: 'on' })).toMatchObject({ dynamicClientRegistration: false, clientIdMetadataDocuments: true });
    expect(loadConfig({ OAUTH_DYNAMIC_REGISTRATION: 'on', OAUTH_CLIENT_ID_METADATA_DOCUMENTS: 'off' })).toMatchObject({ dynamicClientRegistration: true, clientIdMetadataDocuments: false });
    expect(() => loadConfig({ OAUTH_DYNAMIC_REGISTRATION: 'false' })).toThrow(
      'OAUTH_DYNAMIC_REGISTRATION must be on or off (on: clients may register themselves at /oauth/register, RFC 7591; off: only the integrations an admin registers, and client ID metadata documents unless those are off too) (got "false")',
    );
    expect(() => loadConfig({ OAUTH_CLIENT_ID_METADATA_DOCUMENTS: 'yes' })).toThrow(
      'OAUTH_CLIENT_ID_METADATA_DOCUMENTS must be on or off (on: an https URL is accepted as client_id and its metadata document fetched; off: such client ids are refused) (got "yes")',
    );
  });

  it('retires a rotated-out signing key after 24 hours by default, after a duration of at least 31 minutes, or never with off', () => {
    expect(loadConfig({}).signingKeyRetireAfterMs).toBe(24 * 3_600_000);
    expect(loadConfig({ OAUTH_SIGNING_KEY_RETIRE_AFTER: '31m' }).signingKeyRetireAfterMs).toBe(31 * 60_000);
    expect(loadConfig({ OAUTH_SIGNING_KEY_RETIRE_AFTER: '7d' }).signingKeyRetireAfterMs).toBe(7 * 86_400_000);
    expect(loadConfig({ OAUTH_SIGNING_KEY_RETIRE_AFTER: 'off' }).signingKeyRetireAfterMs).toBeNull();
    for (const bad of ['30m', '1.5h', '24', 'never', '2w'])
      expect(() => loadConfig({ OAUTH_SIGNING_KEY_RETIRE_AFTER: bad })).toThrow(
        `OAUTH_SIGNING_KEY_RETIRE_AFTER must be a duration of at least 31m (the 30-minute access token lifetime plus the refresh grace) in minutes, hours or days, e.g. 90m, 24h or 7d, or off (retired only by csmcp oauth keys retire-old) (got "${bad}")`,
      );
  });

  it('masks passwords in connection strings', () => {
    expect(redactUrl('postgres://csmcp:s3cret@db:5432/cs')).toBe('postgres://csmcp:***@db:5432/cs');
  });
});
