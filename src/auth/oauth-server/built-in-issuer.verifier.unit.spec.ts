import { issuerOfResource } from './built-in-issuer.verifier';

describe('issuerOfResource', () => {
  it('is the base URL under both MCP paths', () => {
    expect(issuerOfResource('https://cs.example.com/mcp')).toBe('https://cs.example.com');
    // Ends with /mcp too: the longer path must win, or tokens at the connector guides' path are refused.
    expect(issuerOfResource('https://cs.example.com/v1/ds-mcp/mcp')).toBe('https://cs.example.com');
    expect(issuerOfResource('http://127.0.0.1:3000/base/v1/ds-mcp/mcp')).toBe('http://127.0.0.1:3000/base');
  });
});
