import { redactUrlSecrets } from './logging';

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
});
