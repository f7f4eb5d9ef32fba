import { BriefTemplateError, fieldsOf, parseTemplate, parseTimeout, renderTemplate, type TemplateCompany } from './brief-template';

const acme: TemplateCompany = {
  id: 'co_1',
  name: 'Acme "Rockets", Inc.',
  external_id: null,
  industry: 'Aerospace',
  segment: 'enterprise',
  region: 'EMEA',
  owner_email: 'ann@example.com',
  renewal_date: '2026-01-31',
};

describe('brief source templates', () => {
  it('puts a whole-string field in as a JSON value, quotes and all, never as JSON text', () => {
    const template = parseTemplate('{"company": "{{company.name}}", "external": "{{ company.external_id }}", "limit": 5}');
    expect(renderTemplate(template, acme)).toEqual({ company: 'Acme "Rockets", Inc.', external: null, limit: 5 });
  });

  it('interpolates a field inside other text, in nested objects and arrays; keys stay as typed', () => {
    const template = parseTemplate('{"query": "org:{{company.name}} region:{{company.region}}", "filters": [{"{{company.id}}": "{{company.id}}"}]}');
    expect(renderTemplate(template, acme)).toEqual({ query: 'org:Acme "Rockets", Inc. region:EMEA', filters: [{ '{{company.id}}': 'co_1' }] });
    expect(fieldsOf(template)).toEqual(['name', 'region', 'id']);
  });

  it('an injection attempt stays one string value', () => {
    const evil = { ...acme, name: '", "admin": true, "x": "' };
    expect(renderTemplate(parseTemplate('{"company": "{{company.name}}"}'), evil)).toEqual({ company: '", "admin": true, "x": "' });
  });

  it.each([
    ['not json', /not JSON/],
    ['[1]', /must be a JSON object/],
    ['"x"', /must be a JSON object/],
    ['{"a": "{{company.password}}"}', /\{\{company.password\}\} is not a company field; use one of \{\{company.id\}\}/],
    ['{"a": "{{name}}"}', /is not a company field/],
    ['{"a": "{{company.name"}', /unclosed or nested/],
  ])('refuses %s saying what is wrong', (text, message) => {
    expect(() => parseTemplate(text)).toThrow(BriefTemplateError);
    expect(() => parseTemplate(text)).toThrow(message);
  });

  it('reads timeouts in s, ms or plain milliseconds within 100 ms and 60 s', () => {
    expect(parseTimeout('5s')).toBe(5000);
    expect(parseTimeout('1500ms')).toBe(1500);
    expect(parseTimeout('250')).toBe(250);
    expect(() => parseTimeout('2m')).toThrow(/between 100 ms and 60 s/);
    expect(() => parseTimeout('soon')).toThrow(/e.g. 5s/);
  });
});
