import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import { EVENT_STORE } from '../../../../infrastructure/tokens';
import { companyStream, type CompanyEvent } from '../../company.events';
import { companyDecider, type CompanyState, type ImportCompany } from '../company.decider';
import { runImport, type ImportResult, type ImportSpec } from '../import-batch';
import { resolveOwner } from '../owner';
import { ImportCompaniesCommand } from './import-companies.command';
import { COMPANY_COLUMNS, ImportCompanyDto } from './import-companies.dto';

type Data = ImportCompany['data'];

export const COMPANY_IMPORT: ImportSpec<ImportCompanyDto, Data, ImportCompany, CompanyState, CompanyEvent> = {
  kind: 'companies',
  record: 'company',
  dto: ImportCompanyDto,
  columns: COMPANY_COLUMNS,
  async resolve(dto, refs, report) {
    const ownerId = await resolveOwner(dto, refs, report);
    if (ownerId === false) return null;
    return {
      companyId: dto.company_id,
      name: dto.name,
      externalId: dto.external_id,
      industry: dto.industry,
      segment: dto.segment,
      lifecycleStage: dto.lifecycle_stage,
      region: dto.region,
      employees: dto.employees,
      arr: dto.arr,
      renewalDate: dto.renewal_date,
      ownerId,
    };
  },
  identify: (data) => ({ id: data.companyId, stream: companyStream(data.companyId), unique: data.companyId, column: 'company_id' }),
  decider: companyDecider,
  command: (data, now) => ({ type: 'ImportCompany', data, metadata: { now } }),
  outcome: (events) => (events[0].type === 'CompanyImported' ? 'created' : 'changed'),
  changedFields: (events) => events.flatMap((e) => (e.type === 'CompanyProfileChanged' ? e.data.changes.map((c) => c.field) : [])),
  fieldColumns: {
    companyId: 'company_id',
    externalId: 'external_id',
    lifecycleStage: 'lifecycle_stage',
    renewalDate: 'renewal_date',
    ownerId: 'owner_id',
  },
};

@CommandHandler(ImportCompaniesCommand)
export class ImportCompaniesHandler implements ICommandHandler<ImportCompaniesCommand, ImportResult> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute({ rows, context, options }: ImportCompaniesCommand): Promise<ImportResult> {
    return runImport(this.store, COMPANY_IMPORT, rows, context, options);
  }
}
