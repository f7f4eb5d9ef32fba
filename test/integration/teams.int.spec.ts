/**
 * Teams on the real application (issue 5): with personal access a user sees the companies of every
 * member of their team. The whole chain but the transport: a personal access token verified by the
 * application's own verifier, its Principal driving the MCP tools (reads, analysis, a write through
 * the write policy), and the team moves made by UserAccountsService as the CLI and admin API make them.
 */
import type { EventStore } from '@csmcp/event-store';
import { storeUsers } from '../../src/auth/jwt/jwt-access-token.verifier';
import type { Principal } from '../../src/auth/principal';
import { AccessTokenService } from '../../src/auth/tokens/access-token.service';
import { AccessTokenVerifier } from '../../src/auth/tokens/access-token.verifier';
import { CLI_ACTOR, type AdminContext } from '../../src/customer-success/companies/commands/admin-context';
import { toToolError, type ToolError } from '../../src/mcp/tools';
import { ToolSession } from '../../src/mcp/tools/testing/tool-session';
import { teamStream } from '../../src/users/team';
import { UserAccountsService } from '../../src/users/user-accounts.service';
import { findTeamMemberIds, findUserById } from '../../src/users/user-directory';
import { startApp, type AppHarness, type StoreKind } from '../support/app-harness';

const admin: AdminContext = { actor: CLI_ACTOR, toolName: 'users' };

async function givenCompany(store: EventStore, companyId: string, name: string, ownerId: string): Promise<void> {
  await store.appendToStream(
    `company-${companyId}`,
    [
      {
        type: 'CompanyImported',
        data: {
          companyId, name, externalId: null, industry: 'Software', segment: 'Enterprise', lifecycleStage: 'Adoption', region: 'EMEA',
          employees: 500, arr: 100000, renewalDate: '2027-03-31', ownerId, importedAt: '2026-01-01T00:00:00.000Z',
        },
      },
    ],
    { expectedRevision: 'no_stream' },
  );
}

/** The refusal a tool call ends with, as the server answers it. */
async function refusal(call: Promise<unknown>): Promise<ToolError> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  const mapped = error === null ? null : toToolError(error);
  if (mapped === null) throw new Error(`expected the call to be refused, got ${String(error)}`);
  return mapped;
}

describe.each<StoreKind>(['sqlite', 'postgres'])('teams: personal access sees the team’s companies (%s)', (kind) => {
  let h: AppHarness;
  let accounts: UserAccountsService;
  let verifier: AccessTokenVerifier;
  const ids = { ann: '', bob: '', cid: '' };
  const tokens = { ann: '', cid: '' };

  beforeAll(async () => {
    h = await startApp(kind, { runProjections: true });
    accounts = h.app.get(UserAccountsService);
    verifier = h.app.get(AccessTokenVerifier);
    ids.ann = (await accounts.register({ email: 'ann@example.com', name: 'Ann', role: 'csm', team: 'North' }, admin)).userId;
    ids.bob = (await accounts.register({ email: 'bob@example.com', name: 'Bob', role: 'csm', team: 'north' }, admin)).userId;
    ids.cid = (await accounts.register({ email: 'cid@example.com', name: 'Cid', role: 'csm', team: 'South' }, admin)).userId;
    await givenCompany(h.store, 'c-ann', 'Anvil', ids.ann);
    await givenCompany(h.store, 'c-bob', 'Bobbin', ids.bob);
    await givenCompany(h.store, 'c-cid', 'Cider', ids.cid);
    const issue = async (email: string) => (await h.app.get(AccessTokenService).issue({ email, scopes: 'cs:read cs:write', ttl: '1h' }, admin)).token;
    tokens.ann = await issue('ann@example.com');
    tokens.cid = await issue('cid@example.com');
    await h.projections.runner.waitForPosition((await h.store.headPosition())!);
  }, 120_000);
  afterAll(() => h?.close());

  /** What the MCP endpoint does with a bearer token: verify it (the app's verifier), then a session as that principal. */
  async function sessionOf(token: string): Promise<{ principal: Principal; session: ToolSession }> {
    const principal = await verifier.verify(token);
    return { principal, session: new ToolSession(h, principal) };
  }
  const companyIds = async (session: ToolSession) =>
    ((await session.call('search_companies', {})).structured.items as Array<{ company_id: string }>).map((c) => c.company_id).sort();
  const accountsByOwner = async (session: ToolSession) =>
    (await session.call('analyze_accounts', { entity: 'companies', group_by: ['owner_id'], metrics: [{ fn: 'count', as: 'accounts' }], sort: [{ by: 'owner_id', dir: 'asc' }] })).structured.rows;

  it("keeps the team's member list beside its users: one stream per team, however the name is spelled", async () => {
    expect((await findUserById(h.store, ids.bob))?.team).toBe('north');
    expect(await findTeamMemberIds(h.store, 'NORTH')).toEqual([ids.ann, ids.bob]);
    expect(await findTeamMemberIds(h.store, 'South')).toEqual([ids.cid]);
    expect((await h.store.readStream(teamStream('North'))).map((e) => e.type)).toEqual(['TeamMemberJoined', 'TeamMemberJoined']);
    // The JWT verifiers' lookup reads the same members.
    const users = storeUsers(h.store);
    expect(await users.teamMemberIds((await users.byEmail('ann@example.com'))!)).toEqual([ids.ann, ids.bob]);
    expect((await accounts.list()).map((u) => [u.email, u.team])).toEqual([
      ['ann@example.com', 'North'],
      ['bob@example.com', 'north'],
      ['cid@example.com', 'South'],
    ]);
  });

  it("lets ann (personal access) list, get, analyze and write bob's companies, not cid's", async () => {
    const { principal, session } = await sessionOf(tokens.ann);
    expect(principal).toMatchObject({ accessContext: 'personal', teamMemberIds: [ids.ann, ids.bob] });

    expect(await companyIds(session)).toEqual(['c-ann', 'c-bob']);
    expect((await session.call('get_company', { company_id: 'c-bob' })).structured).toMatchObject({ company_id: 'c-bob', owner_id: ids.bob });
    expect(await refusal(session.call('get_company', { company_id: 'c-cid' }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await refusal(session.call('get_account_summary', { company_id: 'c-cid' }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await accountsByOwner(session)).toEqual(
      [
        { owner_id: ids.ann, accounts: 1 },
        { owner_id: ids.bob, accounts: 1 },
      ].sort((a, b) => a.owner_id.localeCompare(b.owner_id)),
    );

    const written = await session.call('create_cta', { company_id: 'c-bob', name: 'Renewal risk at Bobbin', type: 'Risk' });
    expect(written.structured).toMatchObject({ entity_type: 'cta', events: [{ type: 'CtaCreated' }] });
    expect((await session.call('get_cta', { cta_id: written.structured.entity_id })).structured).toMatchObject({ company_id: 'c-bob', name: 'Renewal risk at Bobbin' });
    expect(await refusal(session.call('create_cta', { company_id: 'c-cid', name: 'Not ours', type: 'Risk' }))).toMatchObject({ code: 'COMPANY_NOT_VISIBLE' });
  });

  it("takes bob's companies away from ann once bob moves to cid's team (within the verifier's second), and gives them to cid", async () => {
    const moved = await accounts.changeTeam(ids.bob, 'South', { ...admin, toolName: 'users set-team' });
    expect(moved).toEqual({ userId: ids.bob, email: 'bob@example.com', from: 'north', team: 'South', changed: true });
    expect(await findTeamMemberIds(h.store, 'North')).toEqual([ids.ann]);
    expect(await findTeamMemberIds(h.store, 'South')).toEqual([ids.cid, ids.bob]);
    // The user's change and both teams' in one append: the same position, the same metadata.
    const [left] = (await h.store.readStream(teamStream('North'))).slice(-1);
    const [joined] = (await h.store.readStream(teamStream('South'))).slice(-1);
    const [changed] = (await h.store.readStream(`user-${ids.bob}`)).slice(-1);
    expect([changed.type, left.type, joined.type]).toEqual(['UserTeamChanged', 'TeamMemberLeft', 'TeamMemberJoined']);
    expect(new Set([changed.metadata.correlationId, left.metadata.correlationId, joined.metadata.correlationId]).size).toBe(1);
    expect(changed.metadata).toMatchObject({ actor: CLI_ACTOR, toolName: 'users set-team' });

    // The next verification after the cached one (≤ 1 s) reads the new members.
    verifier.now = () => Date.now() + 1_001;
    try {
      const ann = await sessionOf(tokens.ann);
      expect(ann.principal.teamMemberIds).toEqual([ids.ann]);
      expect(await companyIds(ann.session)).toEqual(['c-ann']);
      expect(await refusal(ann.session.call('get_company', { company_id: 'c-bob' }))).toMatchObject({ code: 'NOT_FOUND' });
      expect(await accountsByOwner(ann.session)).toEqual([{ owner_id: ids.ann, accounts: 1 }]);
      expect(await refusal(ann.session.call('create_cta', { company_id: 'c-bob', name: 'No longer ours', type: 'Risk' }))).toMatchObject({
        code: 'COMPANY_NOT_VISIBLE',
      });
      // The CTA ann wrote while bob was in her team stays on bob's company, now out of her sight.
      expect((await ann.session.call('list_ctas', { company_id: 'c-bob' })).structured).toEqual({ items: [], next_cursor: null });

      const cid = await sessionOf(tokens.cid);
      expect(await companyIds(cid.session)).toEqual(['c-bob', 'c-cid']);
      expect((await cid.session.call('list_ctas', { company_id: 'c-bob' })).structured.items).toEqual([expect.objectContaining({ name: 'Renewal risk at Bobbin' })]);
    } finally {
      verifier.now = Date.now;
    }
  });

  it('sees only her own companies once out of any team; moving to the same team again writes nothing', async () => {
    expect(await accounts.changeTeam(ids.cid, 'south', admin)).toMatchObject({ from: 'South', team: 'South', changed: false });
    const head = await h.store.headPosition();
    expect(await accounts.changeTeam(ids.ann, 'NORTH', admin)).toMatchObject({ changed: false });
    expect(await h.store.headPosition()).toEqual(head);

    expect(await accounts.changeTeam(ids.ann, null, admin)).toMatchObject({ from: 'North', team: null, changed: true });
    // Joined ann, joined bob, bob left, ann left.
    expect((await h.store.readStream(teamStream('North'))).map((e) => e.type)).toEqual(['TeamMemberJoined', 'TeamMemberJoined', 'TeamMemberLeft', 'TeamMemberLeft']);
    expect(await findTeamMemberIds(h.store, 'North')).toEqual([]);
    const fresh = new AccessTokenVerifier(h.store);
    expect((await fresh.verify(tokens.ann)).teamMemberIds).toEqual([ids.ann]);
  });

  it('keeps every member when many users join one team at once (each append at the revisions it read, retried)', async () => {
    const joiners = await Promise.all(
      Array.from({ length: 6 }, (_, i) => accounts.register({ email: `east${i}@example.com`, name: `East ${i}`, role: 'viewer' }, admin).then((r) => r.userId)),
    );
    await Promise.all(joiners.map((id) => accounts.changeTeam(id, 'East', admin)));
    expect((await findTeamMemberIds(h.store, 'East')).sort()).toEqual([...joiners].sort());
    for (const id of joiners) expect((await findUserById(h.store, id))?.team).toBe('East');
  });

  it('refuses a bad team name before anything is written, and an unknown user', async () => {
    const head = await h.store.headPosition();
    await expect(accounts.register({ email: 'dan@example.com', name: 'Dan', role: 'csm', team: 'North/East' }, admin)).rejects.toMatchObject({
      code: 'VALIDATION',
      field: 'team',
      message: 'team may contain only letters, digits, spaces, - and _; got "North/East"',
    });
    await expect(accounts.changeTeam(ids.bob, 'x'.repeat(65), admin)).rejects.toMatchObject({ code: 'VALIDATION', message: 'team must be at most 64 characters; got 65' });
    expect(await h.store.headPosition()).toEqual(head);
    await expect(accounts.changeTeam('u-nobody', 'North', admin)).rejects.toMatchObject({ code: 'NOT_FOUND', field: 'user_id' });
  });
});
