import { QueryError } from '../../customer-success/queries/shared/query-error';
import { AdminApiError } from '../http/admin-api-error';
import { usageFileName, usageRequest } from './usage-params';

describe('GET /admin/api/usage parameters', () => {
  const refusal = (query: Record<string, unknown>) => {
    try {
      usageRequest(query);
    } catch (error) {
      if (error instanceof QueryError || error instanceof AdminApiError) return { code: error.code, message: error.message, field: error instanceof QueryError ? error.field : error.details?.field };
      throw error;
    }
    throw new Error('expected a refusal');
  };

  it('reads by as the groupBy list (none: no grouping), the format (default json), the rest as given', () => {
    expect(usageRequest({ since: '2025-04-01', until: '2025-04-30', by: 'user,tool', period: 'day', format: 'csv' })).toEqual({
      input: { since: '2025-04-01', until: '2025-04-30', groupBy: ['user', 'tool'], period: 'day' },
      format: 'csv',
    });
    expect(usageRequest({ by: 'none' })).toEqual({ input: { groupBy: [] }, format: 'json' });
    expect(usageRequest({})).toEqual({ input: {}, format: 'json' });
  });

  it.each([
    [{ by: 'user,team' }, 'INVALID_QUERY', 'by must be a comma-separated list of user, integration, tool (or none); got "team"', 'by'],
    [{ format: 'xlsx' }, 'INVALID_QUERY', 'format must be json or csv; got "xlsx"', 'format'],
    [{ groupBy: 'user' }, 'UNKNOWN_FIELD', '"groupBy" is not a query parameter of this endpoint; the parameters are since, until, by, period, format', 'groupBy'],
  ])('refuses %j', (query, code, message, field) => {
    expect(refusal(query)).toEqual({ code, message, field });
  });

  it('names the CSV file by the days asked, not the exclusive bound after the last one', () => {
    const result = { since: '2025-04-01T00:00:00.000Z', until: '2025-05-01T00:00:00.000Z' };
    expect(usageFileName({ since: '2025-04-01', until: '2025-04-30' }, result)).toBe('csmcp-usage-2025-04-01-2025-04-30.csv');
    expect(usageFileName({}, { since: '2025-04-01T00:00:00.000Z', until: '2025-04-10T13:14:15.000Z' })).toBe('csmcp-usage-2025-04-01-2025-04-10.csv');
  });
});
