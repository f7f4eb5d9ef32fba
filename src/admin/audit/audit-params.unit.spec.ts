import { AdminApiError } from '../http/admin-api-error';
import { auditLogInput } from './audit-params';

describe('GET /admin/api/audit parameters', () => {
  const refusal = (query: Record<string, unknown>) => {
    try {
      auditLogInput(query);
    } catch (error) {
      if (error instanceof AdminApiError) return { status: error.status, code: error.code, message: error.message, details: error.details };
      throw error;
    }
    throw new Error('expected a refusal');
  };

  it("passes the filters to the query: lists split at commas, limit as a number, empty values as not given", () => {
    expect(auditLogInput({ user: 'ann@example.com', tool: 'create_cta, update_cta', outcome: 'refused', type: 'ToolCallRecorded,CreditsGranted', limit: '2', cursor: 'abc', entity: '' })).toEqual({
      user: 'ann@example.com',
      tool: ['create_cta', 'update_cta'],
      outcome: 'refused',
      type: ['ToolCallRecorded', 'CreditsGranted'],
      limit: 2,
      cursor: 'abc',
    });
    expect(auditLogInput({})).toEqual({});
  });

  it('leaves a limit that is not digits as text, for the query to refuse quoting it', () => {
    expect(auditLogInput({ limit: 'ten' })).toEqual({ limit: 'ten' });
  });

  it('refuses a parameter it does not know, naming the ones it does', () => {
    expect(refusal({ actor: 'ann' })).toEqual({
      status: 400,
      code: 'UNKNOWN_FIELD',
      message: '"actor" is not a query parameter of this endpoint; the parameters are user, integration, tool, entity, outcome, type, session, since, until, limit, cursor',
      details: { field: 'actor', allowed: ['user', 'integration', 'tool', 'entity', 'outcome', 'type', 'session', 'since', 'until', 'limit', 'cursor'] },
    });
  });

  it('refuses a parameter given twice: a list is one comma-separated value', () => {
    expect(refusal({ tool: ['create_cta', 'update_cta'] })).toEqual({
      status: 400,
      code: 'VALIDATION',
      message: 'tool is given more than once; give it once (several values as one comma-separated list, e.g. tool=a,b)',
      details: { field: 'tool' },
    });
  });
});
