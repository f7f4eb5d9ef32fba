import { Query } from '@nestjs/cqrs';
import type { Position } from '@csmcp/event-store';
import type { ViewerScope } from '../shared/viewer';
import type { CompanyView, ContactView, RelationshipView } from '../shared/views';

export interface GetCompanyInput {
  companyId: string;
  after?: Position;
}

export type GetCompanyResult = CompanyView & {
  relationships: RelationshipView[];
  /** Primary contacts first. */
  contacts: ContactView[];
};

export class GetCompanyQuery extends Query<GetCompanyResult> {
  constructor(
    readonly viewer: ViewerScope,
    readonly input: GetCompanyInput,
  ) {
    super();
  }
}
