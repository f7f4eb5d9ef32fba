import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import { EVENT_STORE } from '../../../../infrastructure/tokens';
import { relationshipStream, type RelationshipEvent } from '../../company.events';
import { runImport, type ImportResult, type ImportSpec } from '../import-batch';
import { resolveOwner } from '../owner';
import { checkCompany } from '../reference-checks';
import { relationshipDecider, type ImportRelationship, type RelationshipState } from '../relationship.decider';
import { ImportRelationshipsCommand } from './import-relationships.command';
import { ImportRelationshipDto, RELATIONSHIP_COLUMNS } from './import-relationships.dto';

type Data = ImportRelationship['data'];

export const RELATIONSHIP_IMPORT: ImportSpec<ImportRelationshipDto, Data, ImportRelationship, RelationshipState, RelationshipEvent> = {
  kind: 'relationships',
  record: 'relationship',
  dto: ImportRelationshipDto,
  columns: RELATIONSHIP_COLUMNS,
  async resolve(dto, refs, report) {
    const [companyOk, ownerId] = await Promise.all([checkCompany(dto.company_id, refs, report), resolveOwner(dto, refs, report)]);
    if (!companyOk || ownerId === false) return null;
    return {
      relationshipId: dto.relationship_id,
      companyId: dto.company_id,
      name: dto.name,
      type: dto.type,
      arr: dto.arr,
      renewalDate: dto.renewal_date,
      ownerId,
    };
  },
  identify: (data) => ({
    id: data.relationshipId,
    stream: relationshipStream(data.relationshipId),
    unique: data.relationshipId,
    column: 'relationship_id',
  }),
  decider: relationshipDecider,
  command: (data, now) => ({ type: 'ImportRelationship', data, metadata: { now } }),
  outcome: (events) => (events[0].type === 'RelationshipImported' ? 'created' : 'changed'),
  changedFields: (events) => events.flatMap((e) => (e.type === 'RelationshipProfileChanged' ? e.data.changes.map((c) => c.field) : [])),
  fieldColumns: { relationshipId: 'relationship_id', companyId: 'company_id', renewalDate: 'renewal_date', ownerId: 'owner_id' },
};

@CommandHandler(ImportRelationshipsCommand)
export class ImportRelationshipsHandler implements ICommandHandler<ImportRelationshipsCommand, ImportResult> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute({ rows, context, options }: ImportRelationshipsCommand): Promise<ImportResult> {
    return runImport(this.store, RELATIONSHIP_IMPORT, rows, context, options);
  }
}
