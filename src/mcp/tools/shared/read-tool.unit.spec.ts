import { QueryError } from '../../../customer-success/queries/shared/query-error';
import { queryInput, type ReadArg } from './read-tool';

const specs: Record<string, ReadArg> = {
  company_id: { schema: { type: 'string' } as ReadArg['schema'] },
  sort: { schema: { type: 'string' } as ReadArg['schema'], values: ['updated_at', 'name'] },
};

describe('queryInput', () => {
  it('renames the arguments to the query fields, sort values in camelCase', () => {
    expect(queryInput(specs, { company_id: 'acme', sort: 'updated_at' }, undefined)).toEqual({ companyId: 'acme', sort: 'updatedAt' });
  });

  // Found by the MCP fuzz soak (seed 20250915): list_success_plans with {"constructor": [...]} failed INTERNAL.
  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf'])('refuses an argument named %s as not an argument of the tool', (name) => {
    const args = JSON.parse(`{"company_id":"acme",${JSON.stringify(name)}:[1,2]}`) as Record<string, unknown>;
    let error: unknown;
    try {
      queryInput(specs, args, undefined);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QueryError);
    expect(error).toMatchObject({ code: 'INVALID_QUERY', field: name, message: `${name} is not an argument of this tool; accepted: company_id, sort` });
  });
});
