import { startApp, type AppHarness, type StoreKind } from '../../../../test/support/app-harness';
import { AUDIT_LOG } from '../../audit.tokens';
import type { AuditLog } from '../../audit-log';
import { CreditsService } from '../../credits/credits.service';
import { GENESIS_HASH } from '../../domain/audit-entry';
import { GetAuditEntryQuery } from './get-audit-entry.query';

describe.each<StoreKind>(['sqlite', 'postgres'])('GetAuditEntryQuery (%s)', (kind) => {
  let h: AppHarness;
  const admin = { type: 'user' as const, id: 'u-admin', email: 'admin@example.com' };

  beforeAll(async () => {
    h = await startApp(kind, { runProjections: true });
  });
  afterAll(() => h?.close());

  const entry = (seq: unknown) => h.queries.execute(new GetAuditEntryQuery(seq));
  const atHead = async () => {
    const head = await h.store.headPosition();
    if (head) await h.projections.runner.waitForPosition(head, { projections: ['audit'] });
  };

  it('says the log is empty when it is', async () => {
    await expect(entry(0)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'There is no audit entry 0; the audit log is empty', field: 'seq' });
  });

  it('answers one entry whole, with the hash it follows', async () => {
    const credits = h.app.get(CreditsService);
    await credits.grant(100, 'opening', admin, new Date('2025-04-01T09:00:00Z'));
    await credits.setLimit('user', 'u-ann', 10, 'trial', admin, new Date('2025-04-01T09:05:00Z'));
    await atHead();
    const head = (await h.app.get<AuditLog>(AUDIT_LOG).refresh()).head!;
    const first = await entry(0);
    expect(first).toMatchObject({
      seq: 0,
      type: 'CreditsGranted',
      at: '2025-04-01T09:00:00.000Z',
      actor: admin,
      entry: { at: '2025-04-01T09:00:00.000Z', by: admin, amount: 100, reason: 'opening' },
      prevHash: GENESIS_HASH,
    });
    expect(await entry(1)).toEqual({
      seq: 1,
      type: 'CreditLimitSet',
      at: '2025-04-01T09:05:00.000Z',
      actor: admin,
      entry: { at: '2025-04-01T09:05:00.000Z', by: admin, scope: 'user', id: 'u-ann', monthlyLimit: 10, reason: 'trial' },
      hash: head.hash,
      prevHash: first.hash,
    });
  });

  it('refuses a seq past the end (naming the range) or that is not a number', async () => {
    await expect(entry(2)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'There is no audit entry 2; the audit log holds entries 0 to 1' });
    await expect(entry('1')).rejects.toMatchObject({ code: 'INVALID_QUERY', message: 'seq must be an audit entry\'s number: a whole number from 0; got "1"', field: 'seq' });
    await expect(entry(-1)).rejects.toMatchObject({ code: 'INVALID_QUERY', field: 'seq' });
    await expect(entry(1.5)).rejects.toMatchObject({ code: 'INVALID_QUERY', field: 'seq' });
  });
});
