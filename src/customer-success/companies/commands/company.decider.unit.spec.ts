import { DeciderSpecification } from '@csmcp/testing';
import { DomainError } from '../../shared/domain-error';
import type { CompanyImported, CompanyProfileChanged } from '../company.events';
import { companyDecider, type ImportCompany } from './company.decider';

const spec = DeciderSpecification.for(companyDecider);
const first = '2025-03-01T09:00:00.000Z';
const now = '2025-04-01T09:00:00.000Z';

const importCompany = (data: Partial<ImportCompany['data']> = {}, at = now): ImportCompany => ({
  type: 'ImportCompany',
  data: { companyId: 'acme', name: 'Acme Corp', ...data },
  metadata: { now: at },
});

const imported = (data: Partial<CompanyImported['data']> = {}): CompanyImported => ({
  type: 'CompanyImported',
  data: {
    companyId: 'acme',
    name: 'Acme Corp',
    externalId: null,
    industry: null,
    segment: null,
    lifecycleStage: null,
    region: null,
    employees: null,
    arr: 0,
    renewalDate: null,
    ownerId: null,
    importedAt: first,
    ...data,
  },
});

const changed = (changes: CompanyProfileChanged['data']['changes']): CompanyProfileChanged => ({
  type: 'CompanyProfileChanged',
  data: { companyId: 'acme', changes, changedAt: now },
});

describe('company decider', () => {
  it('imports a new company with every field, absent ones as none and ARR 0', () => {
    spec.given([]).when(importCompany({}, first)).then([imported()]);
    spec
      .given([])
      .when(
        importCompany(
          {
            externalId: 'SF-001',
            industry: 'Software',
            segment: 'Enterprise',
            lifecycleStage: 'Adoption',
            region: 'EMEA',
            employees: 1200,
            arr: 250_000.456,
            renewalDate: '2026-01-31',
            ownerId: 'u-anna',
          },
          first,
        ),
      )
      .then([
        imported({
          externalId: 'SF-001',
          industry: 'Software',
          segment: 'Enterprise',
          lifecycleStage: 'Adoption',
          region: 'EMEA',
          employees: 1200,
          arr: 250_000.46,
          renewalDate: '2026-01-31',
          ownerId: 'u-anna',
        }),
      ]);
  });

  it('records only the fields that changed on an existing company', () => {
    spec
      .given([imported({ segment: 'SMB', arr: 1000 })])
      .when(importCompany({ name: 'Acme Corp', segment: 'MidMarket', arr: 1000, region: 'EMEA' }))
      .then([
        changed([
          { field: 'segment', from: 'SMB', to: 'MidMarket' },
          { field: 'region', from: null, to: 'EMEA' },
        ]),
      ]);
  });

  it('keeps fields the row leaves out and clears those it sets to null', () => {
    spec
      .given([imported({ industry: 'Software', region: 'EMEA' })])
      .when(importCompany({ name: undefined, region: null }))
      .then([changed([{ field: 'region', from: 'EMEA', to: null }])]);
  });

  it('treats a null ARR as 0, as on import', () => {
    spec.given([imported()]).when(importCompany({ arr: null })).thenNothingHappened();
  });

  it('writes nothing for a row that changes nothing (a re-import)', () => {
    spec.given([imported({ ownerId: 'u-anna' })]).when(importCompany({ ownerId: 'u-anna' })).thenNothingHappened();
  });

  it('folds a change into the state', () => {
    spec
      .given([imported(), changed([{ field: 'name', from: 'Acme Corp', to: 'Acme Inc' }])])
      .when(importCompany({ name: 'Acme Inc' }))
      .thenNothingHappened();
  });

  it('refuses a new company without a name', () => {
    spec
      .given([])
      .when(importCompany({ name: undefined }))
      .thenThrows(DomainError, { code: 'VALIDATION', field: 'name', message: 'name is required for a new company (acme does not exist yet)' });
  });

  it.each([
    [{ name: '  ' }, 'name', 'name is required and must not be blank'],
    [{ segment: 'Giant' }, 'segment', 'segment must be one of Enterprise, MidMarket, SMB; got "Giant"'],
    [
      { lifecycleStage: 'Zombie' },
      'lifecycleStage',
      'lifecycleStage must be one of Onboarding, Adoption, Mature, Renewal, Expansion, AtRisk, Churned; got "Zombie"',
    ],
    [{ employees: 12.5 }, 'employees', 'employees must be a whole number from 0 to 10000000; got 12.5'],
    [{ arr: -1 }, 'arr', 'arr must be an amount from 0 to 1000000000000000; got -1'],
    [{ renewalDate: '2026-02-30' }, 'renewalDate', 'renewalDate must be a calendar date written YYYY-MM-DD, for example 2025-03-31; got "2026-02-30"'],
    [{ ownerId: 'anna smith' }, 'ownerId', 'ownerId must not contain spaces or control characters'],
    [{ industry: 'x'.repeat(101) }, 'industry', 'industry must be at most 100 characters; got 101'],
  ] as Array<[Partial<ImportCompany['data']>, string, string]>)('refuses %j', (data, field, message) => {
    spec.given([]).when(importCompany(data)).thenThrows(DomainError, { code: 'VALIDATION', field, message });
  });

  it('needs the command clock', () => {
    spec
      .given([])
      .when({ ...importCompany(), metadata: { now: 'yesterday' } })
      .thenThrows(DomainError, { code: 'VALIDATION', field: 'metadata.now' });
  });
});
