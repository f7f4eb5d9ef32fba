import { MIN_SIGNING_KEY_RETIRE_AFTER_MINUTES } from '../../config/config';
import { foldEvents } from '../../customer-success/shared/decider';
import { outOfUseFor, publishedKeys, signingKeyDecider, statusOf, type SigningKeyCommand, type SigningKeyState } from './signing-key.decider';
import type { SigningKeyEvent } from './signing-key.events';
import { MIN_PREVIOUS_KEY_MS } from './signing-keys';

const by = { type: 'user' as const, id: 'u-1', email: 'ada@example.com' };
const at = (iso: string) => ({ now: iso, by });

function run(state: SigningKeyState, command: SigningKeyCommand): { state: SigningKeyState; events: SigningKeyEvent[] } {
  const events = signingKeyDecider.decide(command, state);
  return { state: events.reduce(signingKeyDecider.evolve, state), events };
}

describe('signingKeyDecider', () => {
  const start = foldEvents(signingKeyDecider, [] as SigningKeyEvent[]);
  const created = run(start, { type: 'AddFirstSigningKey', data: { kid: 'k1', origin: 'generated' }, metadata: at('2026-03-01T09:00:00.000Z') }).state;
  const rotated = run(created, { type: 'RotateSigningKey', data: { kid: 'k2', reason: 'rotation' }, metadata: at('2026-03-01T10:00:00.000Z') }).state;

  it('adds the first key once: a second instance finding an active key adds nothing', () => {
    expect(created.activeKid).toBe('k1');
    expect(signingKeyDecider.decide({ type: 'AddFirstSigningKey', data: { kid: 'k9', origin: 'generated' }, metadata: at('2026-03-01T09:00:01.000Z') }, created)).toEqual([]);
  });

  it('rotates: the new key is active and published first, the old one previous', () => {
    expect(rotated.activeKid).toBe('k2');
    expect(rotated.keys.map((k) => [k.kid, statusOf(k, rotated), k.rotatedOutAt])).toEqual([
      ['k1', 'previous', '2026-03-01T10:00:00.000Z'],
      ['k2', 'active', null],
    ]);
    const again = run(rotated, { type: 'RotateSigningKey', data: { kid: 'k3', reason: 'rotation' }, metadata: at('2026-03-01T11:00:00.000Z') }).state;
    expect(publishedKeys(again).map((k) => k.kid)).toEqual(['k3', 'k2', 'k1']);
    expect(() => signingKeyDecider.decide({ type: 'RotateSigningKey', data: { kid: 'k1', reason: 'rotation' }, metadata: at('2026-03-01T11:00:00.000Z') }, rotated)).toThrow(
      'signing key k1 exists already',
    );
  });

  it('retires previous keys only once they have been out of use long enough; immediately, all of them; never the active key', () => {
    const retire = (mode: 'retire_old' | 'immediate', iso: string) =>
      signingKeyDecider.decide({ type: 'RetireSigningKeys', data: { mode, minPreviousKeyMs: MIN_PREVIOUS_KEY_MS }, metadata: at(iso) }, rotated);
    const retirable = new Date(outOfUseFor(rotated.keys[0], MIN_PREVIOUS_KEY_MS)!).toISOString();
    expect(retire('retire_old', new Date(Date.parse(retirable) - 1).toISOString())).toEqual([]);
    expect(retire('retire_old', retirable)).toEqual([{ type: 'SigningKeyRetired', data: { kid: 'k1', reason: 'retire_old', retiredAt: retirable, retiredBy: by } }]);
    expect(retire('immediate', '2026-03-01T10:00:00.000Z')).toEqual([
      { type: 'SigningKeyRetired', data: { kid: 'k1', reason: 'immediate', retiredAt: '2026-03-01T10:00:00.000Z', retiredBy: by } },
    ]);
    expect(signingKeyDecider.decide({ type: 'RetireSigningKeys', data: { mode: 'immediate', minPreviousKeyMs: 0 }, metadata: at('2026-03-02T00:00:00.000Z') }, created)).toEqual([]);
    const automatic = (iso: string) =>
      signingKeyDecider.decide({ type: 'RetireSigningKeys', data: { mode: 'automatic', retireAfterMs: 3_600_000 }, metadata: at(iso) }, rotated);
    expect(automatic('2026-03-01T10:59:59.999Z')).toEqual([]);
    expect(automatic('2026-03-01T11:00:00.000Z')).toEqual([expect.objectContaining({ data: expect.objectContaining({ kid: 'k1', reason: 'automatic' }) })]);

    const after = run(rotated, { type: 'RetireSigningKeys', data: { mode: 'immediate', minPreviousKeyMs: 0 }, metadata: at('2026-03-01T10:00:00.000Z') }).state;
    expect(statusOf(after.keys[0], after)).toBe('retired');
    expect(publishedKeys(after).map((k) => k.kid)).toEqual(['k2']);
    expect(outOfUseFor(after.keys[0], 0)).toBeNull();
  });

  it('replacing a missing active key retires it in the same step', () => {
    const { events, state } = run(created, { type: 'RotateSigningKey', data: { kid: 'k2', reason: 'active_key_missing' }, metadata: at('2026-03-01T10:00:00.000Z') });
    expect(events.map((e) => [e.type, e.data.kid])).toEqual([
      ['SigningKeyRotated', 'k2'],
      ['SigningKeyRetired', 'k1'],
    ]);
    expect(publishedKeys(state).map((k) => k.kid)).toEqual(['k2']);
  });

  it('keeps a rotated-out key at least as long as the tokens it signed can be accepted, within the configurable minimum', () => {
    // 30 min access tokens + 30 s clock tolerance + 5 s key set cache + 2 s refresh grace.
    expect(MIN_PREVIOUS_KEY_MS).toBe(30 * 60_000 + 30_000 + 5_000 + 2_000);
    expect(MIN_SIGNING_KEY_RETIRE_AFTER_MINUTES * 60_000).toBeGreaterThanOrEqual(MIN_PREVIOUS_KEY_MS);
  });
});
