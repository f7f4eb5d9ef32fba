import { testPrincipal } from '../tools/testing/tool-session';
import { DEFAULT_POLICY, parsePolicyConfig } from '../../governance/write-policy';
import { visibleTools } from './mcp-server.factory';

const names = (tools: { name: string }[]) => tools.map((t) => t.name);

describe('visibleTools', () => {
  it('offers a csm with cs:read and cs:write every read and write tool, not the admin tools', () => {
    const tools = names(visibleTools(testPrincipal(), DEFAULT_POLICY));
    expect(tools).toHaveLength(20);
    expect(tools).toContain('get_credit_balance');
    expect(tools).not.toContain('query_audit_log');
  });

  it('offers the admin tools to a token with the admin scope', () => {
    const tools = names(visibleTools(testPrincipal({ role: 'admin', scopes: ['cs:read', 'admin'] }), DEFAULT_POLICY));
    expect(tools).toEqual(expect.arrayContaining(['query_audit_log', 'get_credit_usage']));
    expect(tools).not.toContain('create_cta');
  });

  it('offers only reads to a token without cs:write, and nothing to one without cs:read', () => {
    const reads = names(visibleTools(testPrincipal({ scopes: ['cs:read'] }), DEFAULT_POLICY));
    expect(reads).toHaveLength(13);
    expect(reads).not.toContain('create_cta');
    expect(names(visibleTools(testPrincipal({ scopes: ['cs:write'] }), DEFAULT_POLICY))).not.toContain('list_ctas');
  });

  it('leaves out the writes the policy switches off for the role or the integration', () => {
    expect(names(visibleTools(testPrincipal({ role: 'viewer' }), DEFAULT_POLICY)).filter((n) => /^(create|update)_/.test(n))).toEqual([]);
    const config = parsePolicyConfig({ integrations: { claude: { update_cta: false } } });
    const tools = names(visibleTools(testPrincipal({ integrationId: 'claude' }), config));
    expect(tools).toContain('create_cta');
    expect(tools).not.toContain('update_cta');
  });
});
