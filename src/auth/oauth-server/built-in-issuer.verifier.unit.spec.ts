import type { Integration } from '../integrations/integration';
import { issuerOfResource, machineClientOf } from './built-in-issuer.verifier';

describe('issuerOfResource', () => {
  it('is the base URL under both MCP paths', () => {
    expect(issuerOfResource('https://cs.example.com/mcp')).toBe('https://cs.example.com');
    // Ends with /mcp too: the longer path must win, or tokens at the connector guides' path are refused.
    expect(issuerOfResource('https://cs.example.com/v1/ds-mcp/mcp')).toBe('https://cs.example.com');
    expect(issuerOfResource('http://127.0.0.1:3000/base/v1/ds-mcp/mcp')).toBe('http://127.0.0.1:3000/base');
  });
});

describe('machineClientOf', () => {
  const sync: Integration = {
    clientId: 'csmcp_int_sync',
    name: 'Nightly Sync',
    preset: 'custom',
    redirectUris: [],
    scopes: ['cs:read', 'cs:write'],
    accessContext: 'shared',
    grantTypes: ['client_credentials'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    ipAllowList: [],
    confidential: true,
    enabled: true,
    registeredAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    secrets: [],
  };

  it('is a confidential, shared integration that allows client credentials, with its current scopes; disabled or not', () => {
    expect(machineClientOf(sync)).toEqual({ clientId: 'csmcp_int_sync', name: 'Nightly Sync', scopes: ['cs:read', 'cs:write'] });
    // Whether it is enabled is checked with every token, with the integration's name in the refusal.
    expect(machineClientOf({ ...sync, enabled: false })).not.toBeNull();
  });

  it('is null for any other integration, or none', () => {
    expect(machineClientOf(null)).toBeNull();
    expect(machineClientOf({ ...sync, grantTypes: ['authorization_code', 'refresh_token'] })).toBeNull();
    expect(machineClientOf({ ...sync, accessContext: 'personal' })).toBeNull();
    expect(machineClientOf({ ...sync, confidential: false, tokenEndpointAuthMethod: 'none' })).toBeNull();
  });
});
