import { applyChanges, collectChanges } from '../../shared/changes';
import type { Decider, DomainCommand } from '../../shared/decider';
import { DomainError } from '../../shared/domain-error';
import { commandNow, oneOf, optionalText, requiredId, requiredText } from '../../shared/validation';
import { TEXT_LIMITS } from '../../shared/values';
import {
  CONTACT_PROFILE_FIELDS,
  CONTACT_SENTIMENTS,
  type ContactEvent,
  type ContactImported,
  type ContactProfile,
  type ContactProfileChanged,
  type ContactSentiment,
} from '../company.events';
import { flag, optionalEmail } from './reference-validation';

/**
 * One row of a contact import. Left out = keep the current value (none for a new contact), null =
 * clear (sentiment back to Unknown, isPrimary to false). The company is fixed once imported.
 */
export type ImportContact = DomainCommand<
  'ImportContact',
  {
    contactId: string;
    /** An existing company: the import handler checks it. */
    companyId: string;
    /** Required for a new contact. */
    name?: string;
    email?: string | null;
    title?: string | null;
    role?: string | null;
    sentiment?: ContactSentiment | null;
    isPrimary?: boolean | null;
  }
>;

export type ContactState = { exists: false } | { exists: true; profile: ContactProfile };

export const initialState = (): ContactState => ({ exists: false });

export function evolve(state: ContactState, event: ContactEvent): ContactState {
  switch (event.type) {
    case 'ContactImported': {
      const { importedAt: _importedAt, ...profile } = event.data;
      return { exists: true, profile };
    }
    case 'ContactProfileChanged':
      return state.exists ? { exists: true, profile: applyChanges(state.profile, event.data.changes) } : state;
    default:
      return state;
  }
}

export function decide(command: ImportContact, state: ContactState): ContactEvent[] {
  if (command.type !== 'ImportContact')
    throw new DomainError('VALIDATION', `Unknown contact command ${JSON.stringify((command as { type?: unknown }).type)}`);
  const now = commandNow(command.metadata);
  const { data } = command;
  const contactId = requiredId('contactId', data.contactId);
  const companyId = requiredId('companyId', data.companyId);
  const requested: Partial<Omit<ContactProfile, 'contactId' | 'companyId'>> = {};
  if (data.name !== undefined) requested.name = requiredText('name', data.name, TEXT_LIMITS.name);
  if (data.email !== undefined) requested.email = optionalEmail('email', data.email);
  if (data.title !== undefined) requested.title = optionalText('title', data.title, TEXT_LIMITS.name);
  if (data.role !== undefined) requested.role = optionalText('role', data.role, TEXT_LIMITS.label);
  if (data.sentiment !== undefined) requested.sentiment = data.sentiment === null ? 'Unknown' : oneOf('sentiment', data.sentiment, CONTACT_SENTIMENTS);
  if (data.isPrimary !== undefined) requested.isPrimary = flag('isPrimary', data.isPrimary);

  if (!state.exists) {
    if (requested.name === undefined)
      throw new DomainError('VALIDATION', `name is required for a new contact (${contactId} does not exist yet)`, { field: 'name' });
    const imported: ContactImported = {
      type: 'ContactImported',
      data: {
        contactId,
        companyId,
        name: requested.name,
        email: requested.email ?? null,
        title: requested.title ?? null,
        role: requested.role ?? null,
        sentiment: requested.sentiment ?? 'Unknown',
        isPrimary: requested.isPrimary ?? false,
        importedAt: now.iso,
      },
    };
    return [imported];
  }

  if (state.profile.companyId !== companyId)
    throw new DomainError(
      'VALIDATION',
      `companyId ${companyId} is not the company of contact ${contactId} (${state.profile.companyId}); ` +
        'a contact cannot move to another company. Import them under a new contact id',
      { field: 'companyId' },
    );
  const changes = collectChanges(state.profile, requested, CONTACT_PROFILE_FIELDS);
  if (changes.length === 0) return [];
  const changed: ContactProfileChanged = { type: 'ContactProfileChanged', data: { contactId, companyId, changes, changedAt: now.iso } };
  return [changed];
}

export const contactDecider: Decider<ContactState, ImportContact, ContactEvent> = { decide, evolve, initialState };
