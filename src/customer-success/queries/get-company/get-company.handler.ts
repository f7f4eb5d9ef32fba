import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { contactsOf, relationshipsOf, visibleCompany } from '../shared/company-reads';
import { inputObject, requiredIdInput } from '../shared/input';
import { ReadModelReader } from '../shared/read-model-reader';
import { checkViewer } from '../shared/viewer';
import { GetCompanyQuery, type GetCompanyResult } from './get-company.query';

@QueryHandler(GetCompanyQuery)
export class GetCompanyHandler implements IQueryHandler<GetCompanyQuery> {
  constructor(private readonly reader: ReadModelReader) {}

  async execute(query: GetCompanyQuery): Promise<GetCompanyResult> {
    const viewer = checkViewer(query.viewer);
    const input = inputObject(query.input, ['companyId', 'after']);
    const companyId = requiredIdInput('companyId', input.companyId);
    const db = await this.reader.ready(input.after);
    const company = await visibleCompany(db, viewer, companyId);
    const [relationships, contacts] = await Promise.all([relationshipsOf(db, companyId), contactsOf(db, companyId)]);
    return { ...company, relationships, contacts };
  }
}
