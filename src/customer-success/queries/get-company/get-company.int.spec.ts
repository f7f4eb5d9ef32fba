import { describeOnEachDatabase } from '../testing/read-side.fixture';
import { ALICE, BOB, errorOf, EVERYONE, NOBODY, seedBook } from '../testing/book';
import type { ViewerScope } from '../shared/viewer';
import { GetCompanyHandler } from './get-company.handler';
import { GetCompanyQuery } from './get-company.query';

describeOnEachDatabase('GetCompany', (fx) => {
  let handler: GetCompanyHandler;
  const get = (companyId: unknown, viewer: ViewerScope = EVERYONE) => handler.execute(new GetCompanyQuery(viewer, { companyId } as never));

  beforeAll(async () => {
    await seedBook(fx());
    handler = new GetCompanyHandler(fx().reader());
  });

  it('answers the company with its relationships (by name) and contacts (primary first)', async () => {
    const acme = await get('acme');
    expect(acme).toMatchObject({ companyId: 'acme', name: 'Acme Corp', ownerId: 'alice', healthColor: 'Red', arr: 500_000 });
    expect(acme.relationships).toEqual([
      expect.objectContaining({ relationshipId: 'acme-us', name: 'Acme Americas', type: 'Region', arr: 300_000, companyId: 'acme' }),
      expect.objectContaining({ relationshipId: 'acme-eu', name: 'Acme Europe', arr: 200_000 }),
    ]);
    expect(acme.contacts).toEqual([
      { contactId: 'road', companyId: 'acme', name: 'Road Runner', email: 'rr@acme.test', title: null, role: 'Champion', sentiment: 'Positive', isPrimary: true },
      { contactId: 'wile', companyId: 'acme', name: 'Wile E. Coyote', email: null, title: null, role: 'User', sentiment: 'Negative', isPrimary: false },
    ]);
  });

  it('answers a company without relationships or contacts with empty lists', async () => {
    expect(await get('hooli')).toMatchObject({ companyId: 'hooli', relationships: [], contacts: [], healthScore: null });
  });

  it('gives the same NOT_FOUND for an unknown company and for one the viewer may not see', async () => {
    const unknown = await errorOf(get('nope'));
    expect(unknown).toMatchObject({
      code: 'NOT_FOUND',
      message: 'There is no company with id "nope" that you can see; search_companies finds companies by name, segment, owner or renewal date',
    });
    expect(await errorOf(get('umbrella', ALICE))).toMatchObject({ code: 'NOT_FOUND', message: unknown.message.replace('nope', 'umbrella') });
    expect(await errorOf(get('orphan', BOB))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await errorOf(get('acme', NOBODY))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await get('umbrella', BOB)).toMatchObject({ companyId: 'umbrella' });
  });

  it.each([
    ['a missing id', undefined, 'companyId is required and must be a non-blank id; got nothing'],
    ['a number', 42, 'companyId is required and must be a non-blank id; got 42'],
    ['an id with spaces', 'ac me', 'companyId must not contain spaces or control characters'],
    ['a huge id', 'x'.repeat(201), 'companyId must be at most 200 characters; got 201'],
  ])('refuses %s (INVALID_QUERY)', async (_, companyId, message) => {
    expect(await errorOf(get(companyId))).toMatchObject({ code: 'INVALID_QUERY', field: 'companyId', message });
  });
});
