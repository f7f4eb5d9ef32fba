import { ClientMetadataError, isClientIdUrl, parseClientIdUrl, validateClientMetadata, type ValidateClientMetadataOptions } from './client-metadata';

const dcr: ValidateClientMetadataOptions = { kind: 'dcr' };
const CLIENT_ID = 'https://app.example.com/oauth/client.json';
const cimd: ValidateClientMetadataOptions = { kind: 'cimd', clientIdUrl: CLIENT_ID };

function refusal(input: unknown, options: ValidateClientMetadataOptions = dcr): ClientMetadataError {
  try {
    validateClientMetadata(input, options);
  } catch (err) {
    if (err instanceof ClientMetadataError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

describe('validateClientMetadata', () => {
  it('accepts what Claude registers, in normal form, and drops unknown fields', () => {
    const input = {
      client_name: '  Claude ',
      redirect_uris: ['https://claude.ai/api/mcp/auth_callback', 'https://claude.ai/api/mcp/auth_callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'cs:read  cs:write cs:read',
      jwks_uri: 'https://evil.example/jwks',
      'client_name#ja': 'クロード',
      extra: { nested: '<script>' },
    };
    expect(validateClientMetadata(input, dcr)).toEqual({
      client_name: 'Claude',
      redirect_uris: ['https://claude.ai/api/mcp/auth_callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'cs:read cs:write',
    });
  });

  it('fills in RFC 7591 defaults', () => {
    expect(validateClientMetadata({ redirect_uris: ['http://127.0.0.1:33418/callback'] }, dcr)).toEqual({
      redirect_uris: ['http://127.0.0.1:33418/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
  });

  it('keeps the optional descriptive fields once checked', () => {
    const result = validateClientMetadata(
      {
        redirect_uris: ['https://app.example/cb'],
        client_uri: 'https://app.example/',
        logo_uri: 'https://app.example/logo.png',
        tos_uri: 'https://app.example/tos',
        policy_uri: 'https://app.example/privacy',
        contacts: ['ops@app.example'],
        software_id: 'app',
        software_version: '1.2.3',
        client_name: 'Zoë\u0301',
      },
      dcr,
    );
    expect(result).toMatchObject({ client_uri: 'https://app.example/', contacts: ['ops@app.example'], software_version: '1.2.3', client_name: 'Zoë\u0301'.normalize('NFC') });
  });

  describe('redirect URIs', () => {
    it.each([
      'https://app.example/cb',
      'https://app.example:8443/oauth/callback?tenant=1',
      'http://127.0.0.1/cb',
      'http://127.0.0.1:51234/cb',
      'http://127.5.6.7:1/cb',
      'http://[::1]:8080/cb',
      'http://localhost:6274/oauth/callback',
      'https://10.0.0.5/cb', // the browser goes there, not csmcp
    ])('accepts %s', (uri) => {
      expect(validateClientMetadata({ redirect_uris: [uri] }, dcr).redirect_uris).toEqual([uri]);
    });

    it.each([
      ['javascript:alert(1)', 'uses the javascript: scheme, which is never allowed'],
      ['JavaScript:alert(1)//', 'uses the javascript: scheme'],
      ['data:text/html,<script>alert(1)</script>', 'uses the data: scheme'],
      ['file:///etc/passwd', 'uses the file: scheme'],
      ['vbscript:msgbox', 'uses the vbscript: scheme'],
      ['http://app.example/cb', 'uses http on a host that is not loopback'],
      ['http://127.0.0.1.nip.io/cb', 'not loopback'],
      ['http://localhost.evil.example/cb', 'not loopback'],
      ['http://10.0.0.1/cb', 'not loopback'],
      ['com.example.app:/oauth', 'uses the com.example.app: scheme; only https is accepted'],
      ['ftp://app.example/cb', 'uses the ftp: scheme'],
      ['https://app.example/cb#frag', 'contains a fragment'],
      ['https://app.example/cb#', 'contains a fragment'],
      ['https://user:pw@app.example/cb', 'contains a user name or password'],
      ['https://user@app.example/cb', 'contains a user name or password'],
      ['https://*.app.example/cb', 'contains a wildcard'],
      ['https://app.example/*', 'contains a wildcard'],
      ['https://app.ex\nample/cb', 'contains whitespace or control characters'],
      [' https://app.example/cb', 'contains whitespace'],
      ['/relative/cb', 'is not an absolute URL'],
      ['https://', 'is not an absolute URL'],
      [`https://app.example/${'a'.repeat(2001)}`, 'is longer than 2000 characters'],
    ])('refuses %j', (uri, why) => {
      const err = refusal({ redirect_uris: ['https://ok.example/cb', uri] });
      expect(err.code).toBe('invalid_redirect_uri');
      expect(err.field).toBe('redirect_uris[1]');
      expect(err.message).toContain(why);
      expect(err.message).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/);
    });

    it('requires a non-empty array of strings, of reasonable length', () => {
      expect(refusal({}).message).toContain('redirect_uris is required');
      expect(refusal({ redirect_uris: [] }).code).toBe('invalid_redirect_uri');
      expect(refusal({ redirect_uris: 'https://app.example/cb' }).message).toContain('non-empty array');
      expect(refusal({ redirect_uris: [42] }).message).toBe('redirect_uris[0] must be a string');
      expect(refusal({ redirect_uris: Array.from({ length: 21 }, (_, i) => `https://app.example/${i}`) }).message).toContain('at most 20');
    });

    it('tells how to fix an http redirect URI', () => {
      expect(refusal({ redirect_uris: ['http://app.example/cb'] }).toJSON()).toEqual({
        error: 'invalid_redirect_uri',
        error_description:
          "redirect_uris[0] 'http://app.example/cb' uses http on a host that is not loopback; use https, or http only on a loopback host (http://127.0.0.1:PORT/..., http://[::1]:PORT/... or http://localhost:PORT/...)",
      });
    });
  });

  describe('grant and response types', () => {
    it.each([
      [{ grant_types: ['implicit'] }, 'grant_types', "'implicit' is not supported"],
      [{ grant_types: ['client_credentials'] }, 'grant_types', 'only authorization_code and refresh_token'],
      [{ grant_types: ['password', 'authorization_code'] }, 'grant_types', "'password'"],
      [{ grant_types: ['refresh_token'] }, 'grant_types', 'must include authorization_code'],
      [{ grant_types: 'authorization_code' }, 'grant_types', 'non-empty array'],
      [{ grant_types: [] }, 'grant_types', 'non-empty array'],
      [{ response_types: ['token'] }, 'response_types', "'token' is not supported"],
      [{ response_types: ['code id_token'] }, 'response_types', 'only code is'],
      [{ response_types: [] }, 'response_types', 'non-empty array'],
    ])('refuses %j', (extra, field, why) => {
      const err = refusal({ redirect_uris: ['https://app.example/cb'], ...extra });
      expect([err.code, err.field]).toEqual(['invalid_client_metadata', field]);
      expect(err.message).toContain(why);
    });

    it('removes duplicates', () => {
      const result = validateClientMetadata({ redirect_uris: ['https://a.example/cb'], grant_types: ['authorization_code', 'authorization_code'], response_types: ['code', 'code'] }, dcr);
      expect(result.grant_types).toEqual(['authorization_code']);
      expect(result.response_types).toEqual(['code']);
    });
  });

  describe('descriptive fields', () => {
    const base = { redirect_uris: ['https://app.example/cb'] };
    it.each([
      [{ client_name: 'A'.repeat(101) }, 'client_name', 'longer than 100 characters'],
      [{ client_name: 'Evil\u202Eppa' }, 'client_name', 'bidirectional-override'],
      [{ client_name: 'Line\nbreak' }, 'client_name', 'control'],
      [{ client_name: 'Bell\u0007' }, 'client_name', 'control'],
      [{ client_name: '   ' }, 'client_name', 'must not be empty'],
      [{ client_name: 7 }, 'client_name', 'must be a string'],
      [{ logo_uri: 'http://app.example/logo.png' }, 'logo_uri', 'must be an https URL, got the http: scheme'],
      [{ client_uri: 'javascript:alert(1)' }, 'client_uri', 'must be an https URL'],
      [{ tos_uri: 'not a url' }, 'tos_uri', 'contains whitespace'],
      [{ policy_uri: 'https://u:p@app.example/' }, 'policy_uri', 'user name or password'],
      [{ scope: 'cs:read "quoted"' }, 'scope', 'contains characters a scope cannot have'],
      [{ scope: ['cs:read'] }, 'scope', 'must be a string'],
      [{ contacts: 'ops@app.example' }, 'contacts', 'must be an array'],
      [{ contacts: ['ops@app.example', 5] }, 'contacts[1]', 'must be a string'],
      [{ software_id: 'x\u0000' }, 'software_id', 'control'],
    ])('refuses %j', (extra, field, why) => {
      const err = refusal({ ...base, ...extra });
      expect([err.code, err.field]).toEqual(['invalid_client_metadata', field]);
      expect(err.message).toContain(why);
    });

    it('treats null as absent', () => {
      expect(validateClientMetadata({ ...base, client_name: null, scope: null }, dcr)).not.toHaveProperty('client_name');
    });
  });

  it('refuses what is not an object', () => {
    for (const input of [null, [], 'x', 3]) expect(refusal(input).message).toBe('Client metadata must be a JSON object');
  });

  describe('token endpoint auth method', () => {
    const base = { redirect_uris: ['https://app.example/cb'] };
    it('accepts basic, post and none for registration', () => {
      for (const method of ['client_secret_basic', 'client_secret_post', 'none']) {
        expect(validateClientMetadata({ ...base, token_endpoint_auth_method: method }, dcr).token_endpoint_auth_method).toBe(method);
      }
      expect(refusal({ ...base, token_endpoint_auth_method: 'private_key_jwt' }).message).toBe(
        "token_endpoint_auth_method 'private_key_jwt' is not supported; use one of client_secret_basic, client_secret_post, none",
      );
      expect(refusal({ ...base, token_endpoint_auth_method: 5 }).message).toContain('of type number');
    });
  });

  describe('client ID metadata documents', () => {
    const doc = { client_id: CLIENT_ID, client_name: 'App', redirect_uris: ['https://app.example.com/cb'] };

    it('accepts a document whose client_id is its URL, as a public client', () => {
      expect(validateClientMetadata(doc, cimd)).toEqual({
        client_id: CLIENT_ID,
        client_name: 'App',
        redirect_uris: ['https://app.example.com/cb'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
      });
      expect(validateClientMetadata({ ...doc, token_endpoint_auth_method: 'none' }, cimd).token_endpoint_auth_method).toBe('none');
    });

    it('refuses a client_id other than the URL, compared as strings', () => {
      for (const clientId of [undefined, 'https://evil.example/client.json', 'https://APP.example.com/oauth/client.json', `${CLIENT_ID}?`, 42]) {
        const err = refusal({ ...doc, client_id: clientId }, cimd);
        expect([err.code, err.field]).toEqual(['invalid_client_metadata', 'client_id']);
        expect(err.message).toContain('must equal the URL it was fetched from');
      }
    });

    it('refuses secrets and shared-secret or unsupported auth methods', () => {
      expect(refusal({ ...doc, client_secret: 's3cret' }, cimd).field).toBe('client_secret');
      expect(refusal({ ...doc, client_secret_expires_at: 0 }, cimd).field).toBe('client_secret_expires_at');
      expect(refusal({ ...doc, token_endpoint_auth_method: 'client_secret_basic' }, cimd).message).toContain('cannot hold a shared secret; use none');
      expect(refusal({ ...doc, token_endpoint_auth_method: 'client_secret_post' }, cimd).field).toBe('token_endpoint_auth_method');
      expect(refusal({ ...doc, token_endpoint_auth_method: 'private_key_jwt' }, cimd).message).toContain('private_key_jwt is not supported yet');
    });

    it('applies the same redirect URI rules', () => {
      expect(refusal({ ...doc, redirect_uris: ['javascript:alert(1)'] }, cimd).code).toBe('invalid_redirect_uri');
      expect(refusal({ ...doc, redirect_uris: undefined }, cimd).code).toBe('invalid_redirect_uri');
    });

    it('needs the URL it came from', () => {
      expect(() => validateClientMetadata(doc, { kind: 'cimd' })).toThrow(TypeError);
    });
  });
});

describe('parseClientIdUrl', () => {
  it.each([CLIENT_ID, 'https://app.example.com:8443/client', 'https://app.example.com/', 'https://app.example.com/c?v=2'])('accepts %s', (url) => {
    expect(parseClientIdUrl(url).href).toBe(url);
    expect(isClientIdUrl(url)).toBe(true);
  });

  it.each([
    ['http://app.example.com/client.json', 'must use https'],
    ['https://app.example.com', 'must contain a path'],
    ['https://app.example.com?x=1', 'must contain a path'],
    ['https://app.example.com/a/../client.json', 'must not contain . or .. path segments'],
    ['https://app.example.com/./client.json', '. or ..'],
    ['https://app.example.com/a/%2e%2E/client.json', '. or ..'],
    ['https://app.example.com/client.json#x', 'must not contain a fragment'],
    ['https://u:p@app.example.com/client.json', 'user name or password'],
    ['https://u@app.example.com/client.json', 'user name or password'],
    ['https://APP.example.com/client.json', "write it in normal form, 'https://app.example.com/client.json'"],
    ['https://app.example.com:443/client.json', 'normal form'],
    ['https://app.example.com/client json', 'whitespace'],
    ['not a url', 'whitespace'],
    ['https:///client.json', 'normal form'],
  ])('refuses %s', (url, why) => {
    expect(() => parseClientIdUrl(url)).toThrow(ClientMetadataError);
    expect(() => parseClientIdUrl(url)).toThrow(why);
  });

  it('tells a client_id URL from an opaque client_id', () => {
    expect(isClientIdUrl('csmcp_3f9a')).toBe(false);
    expect(isClientIdUrl('http://app.example/client.json')).toBe(false);
  });
});
