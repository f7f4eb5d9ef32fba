import type { DomainEvent } from '../../customer-success/shared/decider';

/**
 * The built-in authorization server's signing keys, one stream for all of them: which key signs
 * (active), which are still published and accepted (previous), which are gone (retired), and who
 * changed that when. The private halves never appear here (events are kept for ever, copied into
 * backups and read by anyone with access to the log); they live in the OAuth state database under
 * signingKeyName(kid), and a retired key's is deleted there.
 */
export const SIGNING_KEYS_STREAM = 'oauth-signing-keys';

/** Where a key's private JWK is stored in the OAuth state database (OAuthStateStore.keyValue). */
export const signingKeyName = (kid: string) => `signing-key:${kid}`;

/** Who made a change (also in the event's metadata; kept in the data so the event tells it alone). */
export type SigningKeyActor = { type: 'user' | 'system'; id: string; email: string | null };

/** The first key: generated on first use, or the key csmcp signed with before keys were rotated (imported). */
export type SigningKeyCreated = DomainEvent<
  'SigningKeyCreated',
  { kid: string; alg: 'ES256'; origin: 'generated' | 'imported'; createdAt: string; createdBy: SigningKeyActor }
>;

/**
 * A new key signs from now on; the one before (previousKid) stays published and accepted until it is
 * retired. reason active_key_missing: the active key's private half was not in the state database
 * (e.g. it was deleted), so csmcp could not sign and replaced it by itself.
 */
export type SigningKeyRotated = DomainEvent<
  'SigningKeyRotated',
  { kid: string; alg: 'ES256'; previousKid: string | null; reason: 'rotation' | 'active_key_missing'; rotatedAt: string; rotatedBy: SigningKeyActor }
>;

/**
 * No longer published, and tokens signed with it are refused. retire_old: `csmcp oauth keys retire-old`
 * once its tokens had expired; immediate: `retire-old --now` (a leaked key); automatic:
 * OAUTH_SIGNING_KEY_RETIRE_AFTER had passed since its rotation; key_missing: its private half was gone.
 */
export type SigningKeyRetired = DomainEvent<
  'SigningKeyRetired',
  { kid: string; reason: 'retire_old' | 'immediate' | 'automatic' | 'key_missing'; retiredAt: string; retiredBy: SigningKeyActor }
>;

export type SigningKeyEvent = SigningKeyCreated | SigningKeyRotated | SigningKeyRetired;
