import { CreateCtaDto } from '../ctas/commands/create-cta/create-cta.dto';
import { constructorKeyAt, validateInput } from './validate-input';
import { InputValidationError } from './write-errors';

describe('validateInput', () => {
  // The MCP fuzz soak's counterexample (seed 1): create_cta with due_date {"constructor": …}. class-transformer
  // took the own "constructor" key for a class and threw a TypeError, answered INTERNAL.
  it('refuses an own "constructor" key anywhere in the arguments as VALIDATION naming where it is', () => {
    const args = JSON.parse('{"company_id":"S","name":"n","type":"Activity","due_date":{"constructor":{"prototype":1}}}') as unknown;
    let error: unknown;
    try {
      validateInput(CreateCtaDto, args);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputValidationError);
    expect((error as InputValidationError).problems).toEqual([{ field: 'due_date', problem: expect.stringContaining('"constructor"') }]);
  });

  it('finds the key at any depth, and nothing in ordinary arguments', () => {
    expect(constructorKeyAt(JSON.parse('{"constructor":1}'), '')).toBe('constructor');
    expect(constructorKeyAt(JSON.parse('{"a":[1,{"b":{"constructor":null}}]}'), '')).toBe('a[1].b');
    expect(constructorKeyAt({ name: 'constructor', list: ['constructor'] }, '')).toBeNull();
  });
});
