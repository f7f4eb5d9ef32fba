import { DeciderSpecification } from '@csmcp/testing';
import { DomainError } from '../../shared/domain-error';
import type { RelationshipImported } from '../company.events';
import { relationshipDecider, type ImportRelationship } from './relationship.decider';

const spec = DeciderSpecification.for(relationshipDecider);
const first = '2025-03-01T09:00:00.000Z';
const now = '2025-04-01T09:00:00.000Z';

const importRelationship = (data: Partial<ImportRelationship['data']> = {}, at = now): ImportRelationship => ({
  type: 'ImportRelationship',
  data: { relationshipId: 'acme-emea', companyId: 'acme', name: 'Acme EMEA', ...data },
  metadata: { now: at },
});

const imported = (data: Partial<RelationshipImported['data']> = {}): RelationshipImported => ({
  type: 'RelationshipImported',
  data: {
    relationshipId: 'acme-emea',
    companyId: 'acme',
    name: 'Acme EMEA',
    type: null,
    arr: 0,
    renewalDate: null,
    ownerId: null,
    importedAt: first,
    ...data,
  },
});

describe('relationship decider', () => {
  it('imports a new relationship', () => {
    spec
      .given([])
      .when(importRelationship({ type: 'Business unit', arr: 50_000, renewalDate: '2026-06-30', ownerId: 'u-anna' }, first))
      .then([imported({ type: 'Business unit', arr: 50_000, renewalDate: '2026-06-30', ownerId: 'u-anna' })]);
  });

  it('records what changed, and nothing when nothing did', () => {
    spec
      .given([imported()])
      .when(importRelationship({ arr: 75_000 }))
      .then([
        {
          type: 'RelationshipProfileChanged',
          data: { relationshipId: 'acme-emea', companyId: 'acme', changes: [{ field: 'arr', from: 0, to: 75_000 }], changedAt: now },
        },
      ]);
    spec.given([imported()]).when(importRelationship()).thenNothingHappened();
  });

  it('refuses to move a relationship to another company', () => {
    spec
      .given([imported()])
      .when(importRelationship({ companyId: 'globex' }))
      .thenThrows(DomainError, {
        code: 'VALIDATION',
        field: 'companyId',
        message:
          'companyId globex is not the company of relationship acme-emea (acme); a relationship cannot move to another company. Import it under a new relationship id',
      });
  });

  it('refuses a new relationship without a name', () => {
    spec
      .given([])
      .when(importRelationship({ name: undefined }))
      .thenThrows(DomainError, { field: 'name', message: 'name is required for a new relationship (acme-emea does not exist yet)' });
  });
});
