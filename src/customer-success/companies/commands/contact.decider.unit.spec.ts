import { DeciderSpecification } from '@csmcp/testing';
import { DomainError } from '../../shared/domain-error';
import type { ContactImported } from '../company.events';
import { contactDecider, type ImportContact } from './contact.decider';

const spec = DeciderSpecification.for(contactDecider);
const first = '2025-03-01T09:00:00.000Z';
const now = '2025-04-01T09:00:00.000Z';

const importContact = (data: Partial<ImportContact['data']> = {}, at = now): ImportContact => ({
  type: 'ImportContact',
  data: { contactId: 'c-1', companyId: 'acme', name: 'Dana Scully', ...data },
  metadata: { now: at },
});

const imported = (data: Partial<ContactImported['data']> = {}): ContactImported => ({
  type: 'ContactImported',
  data: {
    contactId: 'c-1',
    companyId: 'acme',
    name: 'Dana Scully',
    email: null,
    title: null,
    role: null,
    sentiment: 'Unknown',
    isPrimary: false,
    importedAt: first,
    ...data,
  },
});

describe('contact decider', () => {
  it('imports a new contact with sentiment Unknown and not primary by default, email lower-cased', () => {
    spec.given([]).when(importContact({ email: 'Dana@Example.com' }, first)).then([imported({ email: 'dana@example.com' })]);
  });

  it('records what changed; null sentiment goes back to Unknown', () => {
    spec
      .given([imported({ sentiment: 'Negative', isPrimary: true })])
      .when(importContact({ sentiment: null, isPrimary: true, title: 'VP Operations' }))
      .then([
        {
          type: 'ContactProfileChanged',
          data: {
            contactId: 'c-1',
            companyId: 'acme',
            changes: [
              { field: 'title', from: null, to: 'VP Operations' },
              { field: 'sentiment', from: 'Negative', to: 'Unknown' },
            ],
            changedAt: now,
          },
        },
      ]);
  });

  it('writes nothing for the same row again', () => {
    spec.given([imported({ email: 'dana@example.com' })]).when(importContact({ email: 'DANA@example.com' })).thenNothingHappened();
  });

  it.each([
    [{ email: 'dana(at)example.com' }, 'email', 'email must be an email address like anna@example.com; got "dana(at)example.com"'],
    [{ sentiment: 'Angry' }, 'sentiment', 'sentiment must be one of Positive, Neutral, Negative, Unknown; got "Angry"'],
    [{ isPrimary: 'yes' }, 'isPrimary', 'isPrimary must be true or false; got "yes"'],
  ] as unknown as Array<[Partial<ImportContact['data']>, string, string]>)('refuses %j', (data, field, message) => {
    spec.given([]).when(importContact(data)).thenThrows(DomainError, { code: 'VALIDATION', field, message });
  });

  it('refuses to move a contact to another company', () => {
    spec
      .given([imported()])
      .when(importContact({ companyId: 'globex' }))
      .thenThrows(DomainError, {
        field: 'companyId',
        message: 'companyId globex is not the company of contact c-1 (acme); a contact cannot move to another company. Import them under a new contact id',
      });
  });
});
