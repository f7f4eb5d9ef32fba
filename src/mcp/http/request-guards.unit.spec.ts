import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { checkProtocolVersionHeader, MAX_BODY_BYTES, OriginPolicy, readJsonBody } from './request-guards';

function request(headers: Record<string, string>, localAddress = '127.0.0.1', body?: Buffer | string): IncomingMessage {
  const stream = Readable.from(body === undefined ? [] : [Buffer.from(body)]) as unknown as IncomingMessage;
  Object.assign(stream, { headers, socket: { localAddress } });
  return stream;
}

describe('OriginPolicy (DNS rebinding)', () => {
  const local = new OriginPolicy({ publicUrl: null, allowedOrigins: [] });

  it('on a loopback address answers only to loopback host names, any port', () => {
    for (const host of ['localhost:3000', '127.0.0.1:3000', '[::1]:3000', 'localhost'])
      expect(local.check(request({ host }))).toBeNull();
    expect(local.check(request({ host: 'evil.example.com' }))).toMatchObject({ status: 403, message: expect.stringContaining('DNS rebinding') });
    expect(local.check(request({ host: 'localhost.evil.com:3000' }))).toMatchObject({ status: 403 });
    expect(local.check(request({}))).toMatchObject({ status: 403 });
  });

  it('lets the connectors, loopback pages and non-browser clients in, and no other origin', () => {
    for (const origin of ['https://claude.ai', 'https://chatgpt.com', 'https://copilotstudio.microsoft.com', 'http://localhost:6274'])
      expect(local.check(request({ host: 'localhost:3000', origin }))).toBeNull();
    expect(local.check(request({ host: 'localhost:3000' }))).toBeNull();
    expect(local.check(request({ host: 'localhost:3000', origin: 'https://evil.example.com' }))).toMatchObject({
      status: 403,
      message: expect.stringContaining('MCP_ALLOWED_ORIGINS'),
    });
    expect(local.check(request({ host: 'localhost:3000', origin: 'null' }))).toMatchObject({ status: 403 });
  });

  it('with PUBLIC_URL answers to its host, and takes the configured origins', () => {
    const policy = new OriginPolicy({ publicUrl: 'https://cs.example.com', allowedOrigins: ['https://app.example.com'] });
    expect(policy.check(request({ host: 'cs.example.com' }, '10.0.0.5'))).toBeNull();
    expect(policy.check(request({ host: 'other.example.com' }, '10.0.0.5'))).toMatchObject({ status: 403 });
    expect(policy.check(request({ host: 'cs.example.com', origin: 'https://app.example.com' }, '10.0.0.5'))).toBeNull();
    expect(policy.check(request({ host: 'cs.example.com', origin: 'https://cs.example.com' }, '10.0.0.5'))).toBeNull();
    // Loopback pages are only trusted on a loopback server.
    expect(policy.check(request({ host: 'cs.example.com', origin: 'http://localhost:8080' }, '10.0.0.5'))).toMatchObject({ status: 403 });
  });

  it("allows any origin with '*'", () => {
    const policy = new OriginPolicy({ publicUrl: null, allowedOrigins: ['*'] });
    expect(policy.check(request({ host: 'localhost:3000', origin: 'https://anything.example' }))).toBeNull();
  });
});

describe('checkProtocolVersionHeader', () => {
  it.each(['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'])('accepts %s', (version) => {
    expect(checkProtocolVersionHeader(request({ 'mcp-protocol-version': version }))).toBeNull();
  });

  it('accepts no header, refuses others with 400 naming the supported ones', () => {
    expect(checkProtocolVersionHeader(request({}))).toBeNull();
    expect(checkProtocolVersionHeader(request({ 'mcp-protocol-version': '2024-10-07' }))).toEqual({
      status: 400,
      message: 'Bad Request: unsupported MCP-Protocol-Version "2024-10-07"; supported: 2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05',
    });
  });
});

describe('readJsonBody', () => {
  const json = { 'content-type': 'application/json' };

  it('parses a JSON body', async () => {
    await expect(readJsonBody(request(json, '127.0.0.1', '{"jsonrpc":"2.0","id":1,"method":"ping"}'))).resolves.toMatchObject({
      ok: true,
      body: { jsonrpc: '2.0', id: 1, method: 'ping' },
    });
  });

  it('refuses other content types, bad JSON and bodies over the limit (declared or streamed)', async () => {
    await expect(readJsonBody(request({ 'content-type': 'text/plain' }, '127.0.0.1', '{}'))).resolves.toMatchObject({ ok: false, status: 415 });
    await expect(readJsonBody(request(json, '127.0.0.1', '{"jsonrpc":'))).resolves.toMatchObject({ ok: false, status: 400, code: -32700 });
    await expect(readJsonBody(request({ ...json, 'content-length': String(MAX_BODY_BYTES + 1) }, '127.0.0.1', '{}'))).resolves.toMatchObject({
      ok: false,
      status: 413,
    });
    await expect(readJsonBody(request(json, '127.0.0.1', `"${'x'.repeat(2_000)}"`), 1_000)).resolves.toMatchObject({ ok: false, status: 413 });
  });
});
