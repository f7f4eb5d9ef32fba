import 'reflect-metadata';
import { getMetadataStorage } from 'class-validator';
import { ConcurrencyError, StoreUnavailableError } from '@csmcp/event-store';
import { AnalysisQueryError } from '../../customer-success/analysis';
import { CreateCtaTaskDto } from '../../customer-success/ctas/commands/create-cta-task/create-cta-task.dto';
import { CreateCtaDto } from '../../customer-success/ctas/commands/create-cta/create-cta.dto';
import { UpdateCtaDto } from '../../customer-success/ctas/commands/update-cta/update-cta.dto';
import { QueryError } from '../../customer-success/queries/shared/query-error';
import { DomainError } from '../../customer-success/shared/domain-error';
import { CreateSuccessPlanDto } from '../../customer-success/success-plans/commands/create-success-plan/create-success-plan.dto';
import { UpdateSuccessPlanDto } from '../../customer-success/success-plans/commands/update-success-plan/update-success-plan.dto';
import { CreateTimelineActivityDto } from '../../customer-success/timeline/commands/create-timeline-activity/create-timeline-activity.dto';
import { UpdateTimelineActivityDto } from '../../customer-success/timeline/commands/update-timeline-activity/update-timeline-activity.dto';
import { IdempotencyKeyReusedError, InputValidationError, PolicyRefusalError } from '../../customer-success/write/write-errors';
import { CS_TOOLS, toToolError } from './index';
import { toolNamed } from './testing/tool-session';
import { validators } from './testing/schema-validator';

const READS = [
  'search_companies', 'get_company', 'get_account_summary', 'list_ctas', 'get_cta', 'list_success_plans', 'get_success_plan',
  'list_timeline_activities', 'get_scorecard', 'analyze_accounts', 'get_credit_balance', 'get_account_brief', 'authorize_connector',
];
/** Reach outside csmcp: the brief (its connectors' servers) and authorize_connector (which starts an authorization there). */
const OPEN_WORLD = ['get_account_brief', 'authorize_connector'];
const ADMIN = ['query_audit_log', 'get_credit_usage'];
const WRITES = ['create_cta', 'update_cta', 'create_cta_task', 'create_success_plan', 'update_success_plan', 'create_timeline_activity', 'update_timeline_activity'];

const DTOS: Record<string, new () => object> = {
  create_cta: CreateCtaDto,
  update_cta: UpdateCtaDto,
  create_cta_task: CreateCtaTaskDto,
  create_success_plan: CreateSuccessPlanDto,
  update_success_plan: UpdateSuccessPlanDto,
  create_timeline_activity: CreateTimelineActivityDto,
  update_timeline_activity: UpdateTimelineActivityDto,
};

/** What class-validator knows of a DTO: its fields, which are required, and the values @IsIn allows. */
function dtoShape(dto: new () => object) {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  const fields = [...new Set(metadata.map((m) => m.propertyName))].sort();
  // @IsOptional and the DTOs' @Nullable (ValidateIf) are both conditional validations.
  const optional = new Set(metadata.filter((m) => m.type === 'conditionalValidation').map((m) => m.propertyName));
  const enums = Object.fromEntries(metadata.filter((m) => m.name === 'isIn').map((m) => [m.propertyName, [...(m.constraints[0] as string[])]]));
  return { fields, required: fields.filter((f) => !optional.has(f)), enums };
}

describe('the MCP tool catalogue', () => {
  it('has exactly the contract tool names, once each (get_credit_balance comes with metering)', () => {
    expect(CS_TOOLS.map((t) => t.name).sort()).toEqual([...READS, ...WRITES, ...ADMIN].sort());
  });

  it.each(CS_TOOLS.map((t) => [t.name, t] as const))('%s: kind, scope and annotations fit what it does', (name, tool) => {
    expect(tool.title.length).toBeGreaterThan(3);
    expect(tool.description.length).toBeGreaterThan(150);
    expect(tool.annotations.openWorldHint).toBe(OPEN_WORLD.includes(name));
    if (READS.includes(name) || ADMIN.includes(name)) {
      expect(tool).toMatchObject({ scope: ADMIN.includes(name) ? 'admin' : 'cs:read', kind: name === 'analyze_accounts' ? 'analysis' : 'read' });
      // authorize_connector changes no csmcp data, but starts an authorization at the external service.
      expect(tool.annotations).toMatchObject({ readOnlyHint: name !== 'authorize_connector', destructiveHint: false });
      expect(tool.describeChange).toBeUndefined();
    } else {
      const update = name.startsWith('update_');
      expect(tool).toMatchObject({ scope: 'cs:write', kind: 'write' });
      expect(tool.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: update, idempotentHint: update });
      expect(tool.describeChange).toEqual(expect.any(Function));
      expect(tool.description).toContain('idempotency_key');
    }
  });

  it.each(CS_TOOLS.map((t) => [t.name, t] as const))('%s: input and output schemas are valid JSON Schema objects', (_name, tool) => {
    for (const { ajv } of validators()) {
      expect(() => ajv.compile(tool.inputSchema)).not.toThrow();
      expect(() => ajv.compile(tool.outputSchema)).not.toThrow();
    }
    expect(tool.inputSchema).toMatchObject({ type: 'object', additionalProperties: false });
    expect(tool.outputSchema.type).toBe('object');
    const properties = tool.inputSchema.properties as Record<string, { description?: string }>;
    expect(Object.keys(properties)).not.toContain('confirmation_token');
    // Every argument says what it is for: the LLM decides from the schema alone.
    for (const [property, schema] of Object.entries(properties)) expect([property, (schema.description ?? '').length > 10]).toEqual([property, true]);
    for (const required of tool.inputSchema.required ?? []) expect(Object.keys(properties)).toContain(required);
  });

  it.each(WRITES)('%s: the input schema has the DTO\'s fields, required set and allowed values', (name) => {
    const tool = toolNamed(name);
    const shape = dtoShape(DTOS[name]);
    const properties = tool.inputSchema.properties as Record<string, { enum?: string[] }>;
    expect(Object.keys(properties).sort()).toEqual(shape.fields);
    expect([...(tool.inputSchema.required ?? [])].sort()).toEqual(shape.required);
    for (const [field, values] of Object.entries(shape.enums)) expect([field, properties[field].enum]).toEqual([field, values]);
  });

  it('lists lists as { items, next_cursor }', () => {
    for (const name of ['search_companies', 'list_ctas', 'list_success_plans', 'list_timeline_activities']) {
      const tool = toolNamed(name);
      expect(tool.outputSchema.required).toEqual(['items', 'next_cursor']);
      expect(Object.keys(tool.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['limit', 'cursor']));
    }
  });
});

describe('toToolError', () => {
  it('maps write refusals to their codes, with the fields of a validation error', () => {
    expect(toToolError(new InputValidationError([{ field: 'due_date', problem: 'must be a date as YYYY-MM-DD' }]))).toEqual({
      code: 'VALIDATION',
      message: 'Invalid input: due_date: must be a date as YYYY-MM-DD',
      problems: [{ field: 'due_date', problem: 'must be a date as YYYY-MM-DD' }],
    });
    expect(toToolError(new PolicyRefusalError('ROLE_CANNOT_WRITE', 'Viewers cannot write'))).toEqual({ code: 'ROLE_CANNOT_WRITE', message: 'Viewers cannot write' });
    expect(toToolError(new IdempotencyKeyReusedError('k1', 'create_cta'))).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', message: expect.stringContaining('k1') });
  });

  it('maps domain errors with their fields in the tools\' spelling', () => {
    const error = new DomainError('DUE_DATE_BEFORE_START_DATE', 'dueDate 2026-01-01 is before startDate 2026-02-01', { field: 'dueDate' });
    expect(toToolError(error)).toEqual({
      code: 'DUE_DATE_BEFORE_START_DATE',
      message: 'due_date 2026-01-01 is before start_date 2026-02-01',
      problems: [{ field: 'due_date', problem: 'due_date 2026-01-01 is before start_date 2026-02-01' }],
    });
    expect(toToolError(new DomainError('CTA_CLOSED', 'closed'))).toEqual({ code: 'CTA_CLOSED', message: 'closed' });
  });

  it('maps read refusals', () => {
    expect(toToolError(new QueryError('NOT_FOUND', 'There is no company'))).toEqual({ code: 'NOT_FOUND', message: 'There is no company' });
    expect(toToolError(new QueryError('INVALID_QUERY', 'limit must be', { field: 'limit' }))).toMatchObject({ code: 'INVALID_QUERY', problems: [{ field: 'limit' }] });
    expect(toToolError(new AnalysisQueryError([{ path: 'filter.field', message: 'is not a field' }]))).toEqual({
      code: 'INVALID_QUERY',
      message: 'filter.field: is not a field',
      problems: [{ field: 'filter.field', problem: 'is not a field' }],
    });
  });

  it('says the store is temporarily unavailable, and knows nothing else', () => {
    expect(toToolError(new StoreUnavailableError('connection refused'))).toEqual({ code: 'UNAVAILABLE', message: expect.stringContaining('temporarily unavailable, retry shortly') });
    expect(toToolError(new ConcurrencyError('cta-1', 3, 4))).toMatchObject({ code: 'CONFLICT' });
    expect(toToolError(new Error('SQLITE_CORRUPT at /data/events.db'))).toBeNull();
    expect(toToolError('a string')).toBeNull();
  });

  it('names the cause when the database named it: a full disk or read-only files, never the file or the SQL', () => {
    const full = toToolError(new StoreUnavailableError('appending (SQLITE_FULL: database or disk is full at /data/events.db)', undefined, 'disk_full'));
    expect(full).toEqual({ code: 'UNAVAILABLE', message: expect.stringContaining('temporarily unavailable (its disk is full: an operator has to free space), retry shortly') });
    const readOnly = toToolError(new StoreUnavailableError('appending (SQLITE_READONLY)', undefined, 'read_only'));
    expect(readOnly?.message).toContain('(its files are read-only: an operator has to make them writable)');
    expect(`${full?.message} ${readOnly?.message}`).not.toMatch(/SQLITE|events\.db/);
  });
});
