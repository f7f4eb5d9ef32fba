import { AdminApiError } from './admin-api-error';
import { fieldsOf } from './fields';

describe('admin API body fields', () => {
  const spec = { name: { kind: 'string', required: true }, tags: { kind: 'string[]' }, on: { kind: 'boolean' }, config: { kind: 'object' } } as const;
  const refusal = (body: unknown) => {
    try {
      fieldsOf(body, spec);
    } catch (error) {
      if (error instanceof AdminApiError) return { status: error.status, code: error.code, message: error.message, details: error.details };
      throw error;
    }
    throw new Error('expected a refusal');
  };

  it('returns the fields given, of their types', () => {
    expect(fieldsOf({ name: 'x', tags: ['a'], on: false, config: {} }, spec)).toEqual({ name: 'x', tags: ['a'], on: false, config: {} });
    expect(fieldsOf({ name: 'x' }, spec)).toEqual({ name: 'x' });
  });

  it('takes no body as {} (then only the required fields are missing)', () => {
    expect(fieldsOf(undefined, {})).toEqual({});
    expect(refusal(undefined)).toEqual({ status: 400, code: 'VALIDATION', message: 'name is required: a string', details: { field: 'name' } });
  });

  it.each([
    [{ name: 'x', colour: 'red' }, 'UNKNOWN_FIELD', '"colour" is not a field of this request; the fields are name, tags, on, config', { field: 'colour', allowed: ['name', 'tags', 'on', 'config'] }],
    [{ name: 1 }, 'VALIDATION', 'name must be a string; got number 1', { field: 'name' }],
    [{ name: 'x', tags: ['a', 2] }, 'VALIDATION', 'tags must be an array of strings; got an array with a value that is not a string', { field: 'tags' }],
    [{ name: 'x', on: 'yes' }, 'VALIDATION', 'on must be true or false; got string "yes"', { field: 'on' }],
    [{ name: 'x', config: [] }, 'VALIDATION', 'config must be an object; got an array', { field: 'config' }],
    [{ name: null }, 'VALIDATION', 'name must be a string; got null', { field: 'name' }],
    ['name=x', 'VALIDATION', 'The body must be a JSON object with the fields name, tags, on, config', { field: null, allowed: ['name', 'tags', 'on', 'config'] }],
  ])('refuses %j', (body, code, message, details) => {
    expect(refusal(body)).toEqual({ status: 400, code, message, details });
  });
});
