import { applyChanges, collectChanges } from '../../shared/changes';
import type { Decider, DomainCommand } from '../../shared/decider';
import { DomainError } from '../../shared/domain-error';
import { commandNow, optionalCalendarDate, optionalId, optionalText, requiredId, requiredText } from '../../shared/validation';
import { TEXT_LIMITS } from '../../shared/values';
import {
  RELATIONSHIP_PROFILE_FIELDS,
  type RelationshipEvent,
  type RelationshipImported,
  type RelationshipProfile,
  type RelationshipProfileChanged,
} from '../company.events';
import { amount } from './reference-validation';

/**
 * One row of a relationship import (a company's business unit or product line). Left out = keep the
 * current value (none for a new one), null = clear. The company is fixed once imported.
 */
export type ImportRelationship = DomainCommand<
  'ImportRelationship',
  {
    relationshipId: string;
    /** An existing company: the import handler checks it. */
    companyId: string;
    /** Required for a new relationship. */
    name?: string;
    type?: string | null;
    arr?: number | null;
    renewalDate?: string | null;
    ownerId?: string | null;
  }
>;

export type RelationshipState = { exists: false } | { exists: true; profile: RelationshipProfile };

export const initialState = (): RelationshipState => ({ exists: false });

export function evolve(state: RelationshipState, event: RelationshipEvent): RelationshipState {
  switch (event.type) {
    case 'RelationshipImported': {
      const { importedAt: _importedAt, ...profile } = event.data;
      return { exists: true, profile };
    }
    case 'RelationshipProfileChanged':
      return state.exists ? { exists: true, profile: applyChanges(state.profile, event.data.changes) } : state;
    default:
      return state;
  }
}

export function decide(command: ImportRelationship, state: RelationshipState): RelationshipEvent[] {
  if (command.type !== 'ImportRelationship')
    throw new DomainError('VALIDATION', `Unknown relationship command ${JSON.stringify((command as { type?: unknown }).type)}`);
  const now = commandNow(command.metadata);
  const { data } = command;
  const relationshipId = requiredId('relationshipId', data.relationshipId);
  const companyId = requiredId('companyId', data.companyId);
  const requested: Partial<Omit<RelationshipProfile, 'relationshipId' | 'companyId'>> = {};
  if (data.name !== undefined) requested.name = requiredText('name', data.name, TEXT_LIMITS.name);
  if (data.type !== undefined) requested.type = optionalText('type', data.type, TEXT_LIMITS.label);
  if (data.arr !== undefined) requested.arr = amount('arr', data.arr);
  if (data.renewalDate !== undefined) requested.renewalDate = optionalCalendarDate('renewalDate', data.renewalDate);
  if (data.ownerId !== undefined) requested.ownerId = optionalId('ownerId', data.ownerId);

  if (!state.exists) {
    if (requested.name === undefined)
      throw new DomainError('VALIDATION', `name is required for a new relationship (${relationshipId} does not exist yet)`, { field: 'name' });
    const imported: RelationshipImported = {
      type: 'RelationshipImported',
      data: {
        relationshipId,
        companyId,
        name: requested.name,
        type: requested.type ?? null,
        arr: requested.arr ?? 0,
        renewalDate: requested.renewalDate ?? null,
        ownerId: requested.ownerId ?? null,
        importedAt: now.iso,
      },
    };
    return [imported];
  }

  if (state.profile.companyId !== companyId)
    throw new DomainError(
      'VALIDATION',
      `companyId ${companyId} is not the company of relationship ${relationshipId} (${state.profile.companyId}); ` +
        'a relationship cannot move to another company. Import it under a new relationship id',
      { field: 'companyId' },
    );
  const changes = collectChanges(state.profile, requested, RELATIONSHIP_PROFILE_FIELDS);
  if (changes.length === 0) return [];
  const changed: RelationshipProfileChanged = {
    type: 'RelationshipProfileChanged',
    data: { relationshipId, companyId, changes, changedAt: now.iso },
  };
  return [changed];
}

export const relationshipDecider: Decider<RelationshipState, ImportRelationship, RelationshipEvent> = { decide, evolve, initialState };
