import { analysisGuide, analysisQueryJsonSchema } from './analysis-guide';
import { ENTITIES } from './fields';
import { validateAnalysis } from './validate';

describe('analysis guide', () => {
  const guide = analysisGuide();

  it('names every field of every entity, with the allowed values of enums', () => {
    for (const entity of ENTITIES.values()) {
      const line = guide.split('\n').find((l) => l.startsWith(`- ${entity.name}: `))!;
      for (const field of entity.fields.values()) expect(line).toContain(`${field.name} (`);
    }
    expect(guide).toContain('health_color (one of Red|Yellow|Green)');
    expect(guide).toContain('renewal_in_days (whole days: days from today until the renewal date');
  });

  it('shows an example the validator accepts', () => {
    const example = guide.split('\n')[1];
    expect(() => validateAnalysis(JSON.parse(example))).not.toThrow();
  });

  it('comes with a JSON schema of the query shape', () => {
    const schema = analysisQueryJsonSchema();
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    expect(schema).toMatchObject({
      type: 'object',
      required: ['entity'],
      additionalProperties: false,
      properties: { entity: { enum: ['companies', 'ctas', 'timeline_activities'] }, limit: { maximum: 1000 } },
    });
  });
});
