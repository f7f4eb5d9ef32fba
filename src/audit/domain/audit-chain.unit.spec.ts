import { canonicalJson, chain, entryHash, GENESIS_HASH, type AuditBody, type AuditEntry, type ToolCallBody } from './audit-entry';
import { DEFAULT_PRICES, evolveLedger, initialLedger, priceOf, refuseCharge, type LedgerState } from './ledger';
import { redactArguments, REDACTED } from './redact';
import { verifyChainPart } from './verify-chain';

const ann = { type: 'user' as const, id: 'u-ann', email: 'ann@example.com' };
const admin = { type: 'user' as const, id: 'u-admin', email: 'admin@example.com' };

function call(overrides: Partial<ToolCallBody> = {}): AuditBody {
  return {
    type: 'ToolCallRecorded',
    body: {
      at: '2026-11-22T10:00:00.000Z',
      actor: ann,
      integrationId: 'claude',
      integrationName: 'Claude',
      accessContext: 'personal',
      sessionId: 's1',
      requestId: '1',
      sourceIp: '127.0.0.1',
      tool: 'get_company',
      kind: 'read',
      args: { company_id: 'c1' },
      outcome: 'ok',
      code: null,
      message: null,
      credits: 1,
      durationMs: 1.5,
      subject: { type: 'company', id: 'c1' },
      companyId: 'c1',
      events: [],
      changes: [],
      replayed: false,
      ...overrides,
    },
  };
}

const grant = (amount: number): AuditBody => ({ type: 'CreditsGranted', body: { at: '2026-11-01T00:00:00.000Z', by: admin, amount, reason: 'November' } });

function fold(entries: AuditEntry[]): LedgerState {
  return entries.reduce(evolveLedger, initialLedger());
}

describe('canonical JSON', () => {
  it('orders keys at every level and leaves out undefined members, so the hash does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
});

describe('the hash chain', () => {
  it('chains each entry to the one before, from the genesis hash', () => {
    const [first, second] = chain(null, [grant(100), call()]);
    expect(first.seq).toBe(0);
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(first.hash).toBe(entryHash(GENESIS_HASH, 0, 'CreditsGranted', first.body));
    expect(second.prevHash).toBe(first.hash);
    expect(second.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyChainPart([first, second], null)).toEqual({ broken: null, last: { seq: 1, hash: second.hash } });
  });

  it('continues a chain from a head', () => {
    const head = chain(null, [grant(100)]);
    const more = chain({ seq: 0, hash: head[0].hash }, [call(), call()]);
    expect(more.map((e) => e.seq)).toEqual([1, 2]);
    expect(verifyChainPart(more, { seq: 0, hash: head[0].hash }).broken).toBeNull();
  });

  it('names the first entry whose content was changed', () => {
    const entries = chain(null, [grant(100), call(), call(), call()]);
    const tampered = entries.map((e) => (e.seq === 2 ? ({ ...e, body: { ...(e.body as ToolCallBody), credits: 0 } } as AuditEntry) : e));
    expect(verifyChainPart(tampered, null).broken).toEqual({ seq: 2, reason: 'entry 2 was changed after it was recorded: its content does not match its hash' });
  });

  it('names a removed entry, and an entry re-hashed without its successors', () => {
    const entries = chain(null, [grant(100), call(), call(), call()]);
    expect(verifyChainPart([entries[0], entries[1], entries[3]], null).broken).toEqual({ seq: 2, reason: 'entry 2 is missing (the next one found is 3)' });
    const body = { ...(entries[1].body as ToolCallBody), credits: 0 };
    const rehashed = { ...entries[1], body, hash: entryHash(entries[1].prevHash, 1, 'ToolCallRecorded', body) } as AuditEntry;
    expect(verifyChainPart([entries[0], rehashed, entries[2]], null).broken).toEqual({
      seq: 2,
      reason: 'entry 2 does not follow entry 1: its prevHash is not that entry\'s hash',
    });
  });
});

describe('the ledger', () => {
  it('meters without limiting until the first grant, then counts down from it', () => {
    const entries = chain(null, [call(), call(), grant(10), call({ credits: 2 })]);
    const state = fold(entries);
    expect(state.charged).toBe(4);
    expect(state.granted).toBe(10);
    expect(state.balance).toBe(8);
    expect(fold(entries.slice(0, 2)).balance).toBeNull();
    expect(refuseCharge(fold(entries.slice(0, 2)), { at: '2026-11-22T10:00:00Z', actor: ann, integrationId: null, tool: 'get_company', credits: 1_000_000 })).toBeNull();
  });

  it('refuses a charge the balance cannot cover, saying the balance, the price and how to get more', () => {
    const state = fold(chain(null, [grant(3), call({ credits: 2 })]));
    const refusal = refuseCharge(state, { at: '2026-11-22T10:00:00Z', actor: ann, integrationId: 'claude', tool: 'analyze_accounts', credits: 5 });
    expect(refusal).toEqual({
      code: 'INSUFFICIENT_CREDITS',
      price: 5,
      available: 1,
      message:
        'analyze_accounts costs 5 credits and the organisation has 1 credit left; nothing was done. To get more, an admin can add credits with `csmcp credits grant --amount N --reason "..."`, the admin API (POST /admin/api/credits/grants) or the admin console',
    });
    expect(refuseCharge(state, { at: '2026-11-22T10:00:00Z', actor: ann, integrationId: 'claude', tool: 'get_company', credits: 1 })).toBeNull();
  });

  it('holds monthly limits per user and per integration, and resets them with the month', () => {
    const limits: AuditBody[] = [
      { type: 'CreditLimitSet', body: { at: '2026-11-01T00:00:00Z', by: admin, scope: 'user', id: 'u-ann', monthlyLimit: 3, reason: 'trial' } },
      { type: 'CreditLimitSet', body: { at: '2026-11-01T00:00:00Z', by: admin, scope: 'integration', id: 'chatgpt', monthlyLimit: 1, reason: 'pilot' } },
    ];
    const state = fold(chain(null, [...limits, call({ credits: 2 }), call({ credits: 1, at: '2026-10-31T23:59:59.000Z' })]));
    const charge = { at: '2026-11-22T10:00:00Z', actor: ann, integrationId: 'claude', tool: 'create_cta', credits: 2 };
    expect(refuseCharge(state, charge)?.code).toBe('USER_MONTHLY_LIMIT');
    expect(refuseCharge(state, { ...charge, credits: 1 })).toBeNull();
    expect(refuseCharge(state, { ...charge, at: '2026-12-01T00:00:00Z' })).toBeNull();
    const bob = { type: 'user' as const, id: 'u-bob', email: null };
    expect(refuseCharge(state, { ...charge, actor: bob, integrationId: 'chatgpt' })?.code).toBe('INTEGRATION_MONTHLY_LIMIT');
    const lifted = fold(chain(null, [...limits, { type: 'CreditLimitSet', body: { ...limits[0].body, monthlyLimit: null } } as AuditBody, call({ credits: 2 })]));
    expect(refuseCharge(lifted, charge)).toBeNull();
  });

  it('prices by tool, then by kind; the balance and audit tools are free by default', () => {
    const state = initialLedger();
    expect(priceOf(state.prices, 'get_company', 'read')).toBe(DEFAULT_PRICES.read);
    expect(priceOf(state.prices, 'analyze_accounts', 'analysis')).toBe(5);
    expect(priceOf(state.prices, 'create_cta', 'write')).toBe(2);
    expect(priceOf(state.prices, 'get_credit_balance', 'read')).toBe(0);
    const changed = fold(chain(null, [{ type: 'CreditPricesSet', body: { at: '2026-11-01T00:00:00Z', by: admin, byKind: { read: 2, analysis: 5, write: 3 }, byTool: { get_company: 0 } } }]));
    expect(priceOf(changed.prices, 'get_company', 'read')).toBe(0);
    expect(priceOf(changed.prices, 'list_ctas', 'read')).toBe(2);
    expect(priceOf(changed.prices, 'get_credit_balance', 'read')).toBe(0);
  });
});

describe('argument redaction', () => {
  it('replaces secrets, cuts long strings and summarises huge or deep values', () => {
    const redacted = redactArguments({
      name: 'Renewal risk',
      confirmation_token: 'abc',
      nested: { api_key: 'k', password: 'p', Authorization: 'Bearer x', note: 'x'.repeat(2_100) },
      list: Array.from({ length: 105 }, (_, i) => i),
      deep: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } },
    }) as Record<string, any>;
    expect(redacted.name).toBe('Renewal risk');
    expect(redacted.confirmation_token).toBe(REDACTED);
    expect(redacted.nested).toMatchObject({ api_key: REDACTED, password: REDACTED, Authorization: REDACTED });
    expect(redacted.nested.note).toMatch(/… \[100 more characters\]$/);
    expect(redacted.list).toHaveLength(101);
    expect(redacted.list[100]).toBe('[5 more items]');
    expect(JSON.stringify(redacted.deep)).toContain('[nested too deep]');
  });
});
