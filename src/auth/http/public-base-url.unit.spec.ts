import { protectedResourceMetadataUrl, publicBaseUrl, type RequestLike } from './public-base-url';

const request = (host: string | undefined, localAddress: string, localPort: number): RequestLike => ({ headers: { host }, socket: { localAddress, localPort } });

describe('publicBaseUrl', () => {
  it('is PUBLIC_URL when set, whatever the request says', () => {
    expect(publicBaseUrl({ publicUrl: 'https://cs.example.com' }, request('evil.example', '10.0.0.5', 3000))).toBe('https://cs.example.com');
  });

  it('is the address the request arrived on, never a foreign Host header', () => {
    expect(publicBaseUrl({ publicUrl: null }, request('evil.example', '10.0.0.5', 3000))).toBe('http://10.0.0.5:3000');
    expect(publicBaseUrl({ publicUrl: null }, request('evil.example:3000', '::ffff:127.0.0.1', 3000))).toBe('http://127.0.0.1:3000');
    expect(publicBaseUrl({ publicUrl: null }, request(undefined, 'fe80::1', 8080))).toBe('http://[fe80::1]:8080');
  });

  it('keeps a loopback name the local client used, on a loopback connection to this port', () => {
    expect(publicBaseUrl({ publicUrl: null }, request('localhost:3000', '127.0.0.1', 3000))).toBe('http://localhost:3000');
    expect(publicBaseUrl({ publicUrl: null }, request('[::1]:3000', '::1', 3000))).toBe('http://[::1]:3000');
    // Another port, or a loopback name sent over a non-loopback connection: the socket's address.
    expect(publicBaseUrl({ publicUrl: null }, request('localhost:4000', '127.0.0.1', 3000))).toBe('http://127.0.0.1:3000');
    expect(publicBaseUrl({ publicUrl: null }, request('localhost:3000', '10.0.0.5', 3000))).toBe('http://10.0.0.5:3000');
  });
});

describe('protectedResourceMetadataUrl', () => {
  it('puts the resource path after the well-known path (RFC 9728 §3.1)', () => {
    expect(protectedResourceMetadataUrl('https://cs.example.com', '/mcp')).toBe('https://cs.example.com/.well-known/oauth-protected-resource/mcp');
    expect(protectedResourceMetadataUrl('http://127.0.0.1:3000', '/v1/ds-mcp/mcp/')).toBe('http://127.0.0.1:3000/.well-known/oauth-protected-resource/v1/ds-mcp/mcp');
    expect(protectedResourceMetadataUrl('http://h', '/')).toBe('http://h/.well-known/oauth-protected-resource');
  });
});
