import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import { EVENT_STORE } from '../../../../infrastructure/tokens';
import { deterministicUuid } from '../../../write/deterministic-id';
import { contactStream, type ContactEvent } from '../../company.events';
import { contactDecider, type ContactState, type ImportContact } from '../contact.decider';
import { runImport, type ImportResult, type ImportSpec } from '../import-batch';
import { checkCompany } from '../reference-checks';
import { ImportContactsCommand } from './import-contacts.command';
import { CONTACT_COLUMNS, ImportContactDto } from './import-contacts.dto';

type Data = ImportContact['data'];

/** The id of a contact imported without one: the same person at the same company gets the same id every time. */
export const contactIdFor = (companyId: string, email: string) => deterministicUuid(`contact|${companyId}|${email.toLowerCase()}`);

export const CONTACT_IMPORT: ImportSpec<ImportContactDto, Data, ImportContact, ContactState, ContactEvent> = {
  kind: 'contacts',
  record: 'contact',
  dto: ImportContactDto,
  columns: CONTACT_COLUMNS,
  async resolve(dto, refs, report) {
    let contactId = dto.contact_id ?? null;
    if (contactId === null) {
      if (typeof dto.email !== 'string') {
        report('contact_id', 'is missing, and there is no email to derive it from', 'a contact id, or an email to derive it from');
        return null;
      }
      contactId = contactIdFor(dto.company_id, dto.email);
    }
    if (!(await checkCompany(dto.company_id, refs, report))) return null;
    return {
      contactId,
      companyId: dto.company_id,
      name: dto.name,
      email: dto.email,
      title: dto.title,
      role: dto.role,
      sentiment: dto.sentiment,
      isPrimary: dto.is_primary,
    };
  },
  identify: (data) => ({ id: data.contactId, stream: contactStream(data.contactId), unique: data.contactId, column: 'contact_id' }),
  decider: contactDecider,
  command: (data, now) => ({ type: 'ImportContact', data, metadata: { now } }),
  outcome: (events) => (events[0].type === 'ContactImported' ? 'created' : 'changed'),
  changedFields: (events) => events.flatMap((e) => (e.type === 'ContactProfileChanged' ? e.data.changes.map((c) => c.field) : [])),
  fieldColumns: { contactId: 'contact_id', companyId: 'company_id', isPrimary: 'is_primary' },
};

@CommandHandler(ImportContactsCommand)
export class ImportContactsHandler implements ICommandHandler<ImportContactsCommand, ImportResult> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute({ rows, context, options }: ImportContactsCommand): Promise<ImportResult> {
    return runImport(this.store, CONTACT_IMPORT, rows, context, options);
  }
}
