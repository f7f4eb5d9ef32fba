import { applyChanges, collectChanges } from '../../shared/changes';
import type { Decider, DomainCommand } from '../../shared/decider';
import { DomainError } from '../../shared/domain-error';
import { commandNow, oneOf, optionalCalendarDate, optionalId, optionalText, requiredId, requiredText } from '../../shared/validation';
import { TEXT_LIMITS } from '../../shared/values';
import {
  COMPANY_PROFILE_FIELDS,
  LIFECYCLE_STAGES,
  SEGMENTS,
  type CompanyEvent,
  type CompanyImported,
  type CompanyProfile,
  type CompanyProfileChanged,
  type LifecycleStage,
  type Segment,
} from '../company.events';
import { amount, optionalCount } from './reference-validation';

/**
 * One row of a company import. A field left out (undefined) keeps the current value of an existing
 * company (a new one gets none, or 0 ARR); null clears it. So importing the same row twice changes nothing.
 */
export type ImportCompany = DomainCommand<
  'ImportCompany',
  {
    companyId: string;
    /** Required for a new company. */
    name?: string;
    externalId?: string | null;
    industry?: string | null;
    segment?: Segment | null;
    lifecycleStage?: LifecycleStage | null;
    region?: string | null;
    employees?: number | null;
    /** Null or absent on a new company: 0. */
    arr?: number | null;
    /** YYYY-MM-DD. */
    renewalDate?: string | null;
    /** An existing user: the import handler checks it. */
    ownerId?: string | null;
  }
>;

export type CompanyState = { exists: false } | { exists: true; profile: CompanyProfile };

export const initialState = (): CompanyState => ({ exists: false });

export function evolve(state: CompanyState, event: CompanyEvent): CompanyState {
  switch (event.type) {
    case 'CompanyImported': {
      const { importedAt: _importedAt, ...profile } = event.data;
      return { exists: true, profile };
    }
    case 'CompanyProfileChanged':
      return state.exists ? { exists: true, profile: applyChanges(state.profile, event.data.changes) } : state;
    default:
      return state;
  }
}

export function decide(command: ImportCompany, state: CompanyState): CompanyEvent[] {
  if (command.type !== 'ImportCompany')
    throw new DomainError('VALIDATION', `Unknown company command ${JSON.stringify((command as { type?: unknown }).type)}`);
  const now = commandNow(command.metadata);
  const companyId = requiredId('companyId', command.data.companyId);
  const requested = validateProfile(command.data);

  if (!state.exists) {
    if (requested.name === undefined)
      throw new DomainError('VALIDATION', `name is required for a new company (${companyId} does not exist yet)`, { field: 'name' });
    const imported: CompanyImported = {
      type: 'CompanyImported',
      data: {
        companyId,
        name: requested.name,
        externalId: requested.externalId ?? null,
        industry: requested.industry ?? null,
        segment: requested.segment ?? null,
        lifecycleStage: requested.lifecycleStage ?? null,
        region: requested.region ?? null,
        employees: requested.employees ?? null,
        arr: requested.arr ?? 0,
        renewalDate: requested.renewalDate ?? null,
        ownerId: requested.ownerId ?? null,
        importedAt: now.iso,
      },
    };
    return [imported];
  }

  const changes = collectChanges(state.profile, requested, COMPANY_PROFILE_FIELDS);
  if (changes.length === 0) return [];
  const changed: CompanyProfileChanged = { type: 'CompanyProfileChanged', data: { companyId, changes, changedAt: now.iso } };
  return [changed];
}

export const companyDecider: Decider<CompanyState, ImportCompany, CompanyEvent> = { decide, evolve, initialState };

type ProfileFields = Omit<CompanyProfile, 'companyId'>;

function validateProfile(data: ImportCompany['data']): Partial<ProfileFields> {
  const requested: Partial<ProfileFields> = {};
  if (data.name !== undefined) requested.name = requiredText('name', data.name, TEXT_LIMITS.name);
  if (data.externalId !== undefined) requested.externalId = optionalText('externalId', data.externalId, TEXT_LIMITS.id);
  if (data.industry !== undefined) requested.industry = optionalText('industry', data.industry, TEXT_LIMITS.label);
  if (data.segment !== undefined) requested.segment = data.segment === null ? null : oneOf('segment', data.segment, SEGMENTS);
  if (data.lifecycleStage !== undefined)
    requested.lifecycleStage = data.lifecycleStage === null ? null : oneOf('lifecycleStage', data.lifecycleStage, LIFECYCLE_STAGES);
  if (data.region !== undefined) requested.region = optionalText('region', data.region, TEXT_LIMITS.label);
  if (data.employees !== undefined) requested.employees = optionalCount('employees', data.employees);
  if (data.arr !== undefined) requested.arr = amount('arr', data.arr);
  if (data.renewalDate !== undefined) requested.renewalDate = optionalCalendarDate('renewalDate', data.renewalDate);
  if (data.ownerId !== undefined) requested.ownerId = optionalId('ownerId', data.ownerId);
  return requested;
}
