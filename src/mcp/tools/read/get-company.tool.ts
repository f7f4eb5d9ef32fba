import { GetCompanyQuery, type GetCompanyInput } from '../../../customer-success/queries/get-company/get-company.query';
import { snakeObject } from '../shared/case';
import { id } from '../shared/input-schemas';
import { COMPANY_DETAIL } from '../shared/output-schemas';
import { readTool } from '../shared/read-tool';
import { bullet, companyLine } from '../shared/render';

export const getCompanyTool = readTool({
  name: 'get_company',
  title: 'Get a company',
  description:
    "One company's profile (industry, segment, lifecycle stage, region, employees, ARR, renewal date, owner, health score and color, " +
    'counters of open CTAs, active plans and activities) with its relationships (business units / product lines) and contacts (primary first, with role and sentiment). ' +
    'Use it when you need the profile, relationship ids or contacts; for a briefing with open CTAs, plans, recent timeline and renewal countdown use get_account_summary. ' +
    'Find the company_id with search_companies. Read-only: company fields cannot be changed through MCP.',
  args: { company_id: { schema: id('The company id (from search_companies).'), required: true } },
  outputSchema: COMPANY_DETAIL,
  query: (viewer, input: GetCompanyInput) => new GetCompanyQuery(viewer, input),
  structured: (r) => snakeObject(r),
  text: (r) =>
    [
      companyLine(r),
      r.relationships.length > 0 ? `Relationships: ${r.relationships.map((x) => `${x.name} [${x.relationshipId}]`).join(', ')}` : null,
      r.contacts.length > 0 ? 'Contacts:' : 'No contacts.',
      ...r.contacts.map((p) =>
        bullet(`${p.name}${p.isPrimary ? ' (primary)' : ''}${p.title ? `, ${p.title}` : ''}${p.email ? ` <${p.email}>` : ''}, sentiment ${p.sentiment}`),
      ),
    ]
      .filter((l): l is string => l !== null)
      .join('\n'),
});
