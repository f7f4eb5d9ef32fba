import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { IntegrationService } from '../../auth/integrations/integration.service';
import { admin, startAdminCommands, type AdminCommandsHarness } from '../../customer-success/companies/commands/testing/admin-commands.harness';
import { RegisterUserCommand } from '../../users/commands/register-user/register-user.command';
import { AuditLog } from '../audit-log';
import { AUDIT_STREAM } from '../domain/audit-entry';
import { creditTargetDirectory, CreditTargetNotFoundError } from './credit-targets';
import { CreditInputError, CreditsService } from './credits.service';

/** Monthly limits named the way admins name them (email, user id, client id), on a real store. */
describe('CreditsService limits', () => {
  let t: AdminCommandsHarness;
  let credits: CreditsService;
  let anna: { userId: string };
  let clientId: string;
  const by = { type: 'user' as const, id: 'u-admin', email: 'admin@example.com' };
  const now = new Date('2025-04-10T12:00:00Z');

  beforeAll(async () => {
    t = await startAdminCommands(new SqliteEventStore({ filename: ':memory:' }));
    anna = await t.bus.execute(new RegisterUserCommand({ email: 'anna@example.com', name: 'Anna Berg', role: 'csm' }, admin));
    const integrations = new IntegrationService(t.store);
    clientId = (await integrations.register({ name: 'Claude', preset: 'claude' }, admin)).integration.clientId;
    credits = new CreditsService(new AuditLog(t.store), creditTargetDirectory(t.store, integrations));
  });
  afterAll(() => t.close());

  const logLength = async () => (await t.store.readStream(AUDIT_STREAM)).length;

  it('finds a user by email (any case) or id and records the limit under their id', async () => {
    const byEmail = await credits.setLimitFor('user', 'Anna@Example.com', 100, 'trial', by, now);
    expect(byEmail.target).toEqual({ scope: 'user', id: anna.userId, label: 'anna@example.com' });
    expect(byEmail.entry).toMatchObject({ type: 'CreditLimitSet', body: { scope: 'user', id: anna.userId, monthlyLimit: 100, reason: 'trial', by } });
    const byId = await credits.setLimitFor('user', anna.userId, 120, 'a bit more', by, now);
    expect(byId.target.id).toBe(anna.userId);
  });

  it('finds an integration by client id', async () => {
    const { target, entry } = await credits.setLimitFor('integration', clientId, 500, 'one connector', by, now);
    expect(target).toEqual({ scope: 'integration', id: clientId, label: 'Claude' });
    expect(entry.body).toMatchObject({ scope: 'integration', id: clientId, monthlyLimit: 500 });
  });

  it('lists the limits in force with the email and name they name, and what was used this month', async () => {
    await credits.setLimit('user', 'u-gone', 7, 'a user id nobody has', by, now);
    // Anna's calls through Claude: 3 credits this month, 4 in March (not counted).
    const call = (at: string, credits: number) => ({
      type: 'ToolCallRecorded' as const,
      body: {
        at, actor: { type: 'user' as const, id: anna.userId, email: 'anna@example.com' }, integrationId: clientId, integrationName: 'Claude', accessContext: 'personal' as const,
        sessionId: null, requestId: null, sourceIp: null, tool: 'get_company', kind: 'read' as const, args: {}, outcome: 'ok' as const, code: null, message: null,
        credits, durationMs: 1, subject: null, companyId: null, events: [], changes: [], replayed: false,
      },
    });
    await new AuditLog(t.store).record(call('2025-04-02T08:00:00.000Z', 3), call('2025-03-31T23:59:59.000Z', 4));
    expect(await credits.limits(now)).toEqual({
      month: '2025-04',
      userLimits: [
        { id: anna.userId, email: 'anna@example.com', monthlyLimit: 120, used: 3 },
        { id: 'u-gone', email: null, monthlyLimit: 7, used: 0 },
      ],
      integrationLimits: [{ id: clientId, name: 'Claude', monthlyLimit: 500, used: 3 }],
    });
    await credits.setLimit('user', 'u-gone', null, 'removed', by, now);
    expect((await credits.limits(now)).userLimits.map((l) => l.id)).toEqual([anna.userId]);
  });

  it('refuses someone unknown, naming them, and records nothing', async () => {
    const before = await logLength();
    await expect(credits.setLimitFor('user', 'ghost@example.com', 5, 'x', by, now)).rejects.toThrow(new CreditTargetNotFoundError('user', 'ghost@example.com'));
    await expect(credits.setLimitFor('user', 'u-ghost', 5, 'x', by, now)).rejects.toMatchObject({ code: 'USER_NOT_FOUND', message: 'no user has the id u-ghost', field: 'id' });
    await expect(credits.setLimitFor('integration', 'csmcp_int_nope', 5, 'x', by, now)).rejects.toMatchObject({
      code: 'INTEGRATION_NOT_FOUND',
      message: 'no integration has client id csmcp_int_nope',
    });
    expect(await logLength()).toBe(before);
  });

  it('checks the input before looking anyone up: scope, id, limit, reason', async () => {
    const refusal = (p: Promise<unknown>) => p.then(() => null, (e: CreditInputError) => ({ field: e.field, message: e.message }));
    expect(await refusal(credits.setLimitFor('team', 'x', 5, 'x', by, now))).toEqual({ field: 'scope', message: 'scope must be user or integration; got "team"' });
    expect(await refusal(credits.setLimitFor('user', '  ', 5, 'x', by, now))).toEqual({ field: 'id', message: 'id must name the user (their id or email) in 1 to 200 characters; got "  "' });
    expect(await refusal(credits.setLimitFor('user', 'ghost@example.com', -1, 'x', by, now))).toEqual({
      field: 'monthlyLimit',
      message: 'monthlyLimit must be a whole number of credits from 0 to 1000000000, or null to remove the limit; got -1',
    });
    expect(await refusal(credits.setLimitFor('integration', 'nope', 5, '', by, now))).toEqual({
      field: 'reason',
      message: 'reason is required: say why in 1 to 500 characters (it is kept in the audit log)',
    });
  });
});
