import { cimdClient, metadataDocumentHost, namesMetadataDocument } from './cimd-client';
import { validateClientMetadata } from './client-metadata';

const URL_ID = 'https://app.example.com/oauth/client.json';
const document = (extra: object = {}) =>
  validateClientMetadata({ client_id: URL_ID, client_name: 'Example App', redirect_uris: ['https://app.example.com/cb', 'http://127.0.0.1:7777/cb'], ...extra }, { kind: 'cimd', clientIdUrl: URL_ID });

describe('cimdClient', () => {
  it('is a public client with personal access and the redirect URIs as published', () => {
    expect(cimdClient(document({ grant_types: ['authorization_code', 'refresh_token'] }))).toEqual({
      client_id: URL_ID,
      client_name: 'Example App',
      redirect_uris: ['https://app.example.com/cb', 'http://127.0.0.1:7777/cb'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      csmcp_context: 'personal',
    });
  });

  it('keeps the declared scopes csmcp offers and drops the others', () => {
    expect(cimdClient(document({ scope: 'openid profile cs:read offline_access' })).scope).toBe('openid cs:read');
    expect(cimdClient(document({ scope: 'cs:write cs:read' })).scope).toBe('cs:write cs:read');
  });

  it('does not restrict a client whose declared scopes name none of csmcp\'s', () => {
    expect(cimdClient(document({ scope: 'openid profile email' }))).not.toHaveProperty('scope');
    expect(cimdClient(document())).not.toHaveProperty('scope');
  });

  it('takes only what validateClientMetadata passed: a document cannot ask for shared access', () => {
    expect(cimdClient(document({ csmcp_context: 'shared' })).csmcp_context).toBe('personal');
  });

  it('needs a metadata document, not registration metadata', () => {
    expect(() => cimdClient(validateClientMetadata({ redirect_uris: ['https://a.example/cb'] }, { kind: 'dcr' }))).toThrow(TypeError);
  });
});

describe('namesMetadataDocument and metadataDocumentHost', () => {
  it.each([
    [URL_ID, true, 'app.example.com'],
    ['https://app.example.com:8443/c', true, 'app.example.com:8443'],
    ['http://app.example.com/c', true, 'app.example.com'],
    ['HTTPS://APP.example.com/c', true, 'app.example.com'],
    ['csmcp_int_3f9a', false, null],
    ['Xk3_dynamic-client-id', false, null],
    ['urn:app:client', false, null],
  ])('%s (a metadata document: %s; its host: %s)', (id, isDocument, host) => {
    expect(namesMetadataDocument(id)).toBe(isDocument);
    expect(metadataDocumentHost(id)).toBe(host);
  });
});
