import { loggingParams, redactUrlSecrets } from './logging';

describe('redactUrlSecrets', () => {
  it('keeps secrets that arrive in a query string out of the request log', () => {
    expect(redactUrlSecrets('/mcp?access_token=eyJhbGciOi.x.y')).toBe('/mcp?access_token=[redacted]');
    expect(redactUrlSecrets('/cb?state=s1&code=abc123&iss=https%3A%2F%2Fx')).toBe('/cb?state=s1&code=[redacted]&iss=https%3A%2F%2Fx');
    expect(redactUrlSecrets('/x?Access_Token=a&refresh_token=b#frag')).toBe('/x?Access_Token=[redacted]&refresh_token=[redacted]#frag');
  });

  it('leaves other URLs alone', () => {
    expect(redactUrlSecrets('/mcp')).toBe('/mcp');
    expect(redactUrlSecrets('/messages?sessionId=abc')).toBe('/messages?sessionId=abc');
    expect(redactUrlSecrets('/x?my_code=1&tokens=2')).toBe('/x?my_code=1&tokens=2');
  });

  it('redacts a code in a fragment too', () => {
    expect(redactUrlSecrets('https://app.example/cb#code=abc&state=s')).toBe('https://app.example/cb#code=[redacted]&state=s');
  });
});

describe('the response log', () => {
  const serialize = (loggingParams('info', 'stdout').pinoHttp as { serializers: { res: (res: unknown) => unknown } }).serializers.res;

  it("redacts the authorization code in a redirect's Location, keeping the rest", () => {
    const res = { statusCode: 303, headers: { location: 'https://claude.ai/api/mcp/auth_callback?code=s3cret-code&state=st&iss=https%3A%2F%2Fcs', 'cache-control': 'no-store' } };
    expect(serialize(res)).toEqual({
      statusCode: 303,
      headers: { location: 'https://claude.ai/api/mcp/auth_callback?code=[redacted]&state=st&iss=https%3A%2F%2Fcs', 'cache-control': 'no-store' },
    });
  });

  it('leaves responses without a Location as they are', () => {
    const res = { statusCode: 200, headers: { 'content-type': 'application/json' } };
    expect(serialize(res)).toBe(res);
  });
});
