import type { Decider } from '../../customer-success/shared/decider';
import type { SigningKeyActor, SigningKeyEvent, SigningKeyRetired } from './signing-key.events';

/**
 * The signing keys' lifecycle (stream oauth-signing-keys): pure, no I/O, no clock. One key is active
 * (it signs); a rotation makes a new key active and the old one previous (still published in the JWKS
 * and accepted by the MCP endpoint); retiring a previous key withdraws it (its tokens are refused).
 */

export type SigningKeyStatus = 'active' | 'previous' | 'retired';

export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: 'ES256';
  /** How it came to be: the first key (generated or imported) or a rotation (asked for, or replacing a missing key). */
  readonly origin: 'generated' | 'imported' | 'rotation' | 'active_key_missing';
  readonly createdAt: string;
  readonly createdBy: SigningKeyActor;
  /** When a rotation replaced it as the signing key; null while it is active. */
  readonly rotatedOutAt: string | null;
  readonly retiredAt: string | null;
  readonly retiredBy: SigningKeyActor | null;
  readonly retireReason: SigningKeyRetired['data']['reason'] | null;
}

export interface SigningKeyState {
  /** Oldest first. */
  readonly keys: readonly SigningKeyRecord[];
  readonly activeKid: string | null;
}

export interface SigningKeyCommandMetadata {
  /** ISO 8601 date-time. */
  readonly now: string;
  readonly by: SigningKeyActor;
}

type Command<Type extends string, Data> = Readonly<{ type: Type; data: Data; metadata: SigningKeyCommandMetadata }>;

/** The first key; nothing happens when there is an active key already (another instance was first). */
export type AddFirstSigningKey = Command<'AddFirstSigningKey', { kid: string; origin: 'generated' | 'imported' }>;
/** `kid` signs from now on. active_key_missing also retires the active key, whose private half is gone. */
export type RotateSigningKey = Command<'RotateSigningKey', { kid: string; reason: 'rotation' | 'active_key_missing' }>;
/**
 * Retires previous keys. retire_old: those rotated out at least minPreviousKeyMs ago; immediate: all
 * of them; automatic: those rotated out at least retireAfterMs ago.
 */
export type RetireSigningKeys = Command<
  'RetireSigningKeys',
  { mode: 'retire_old' | 'immediate'; minPreviousKeyMs: number } | { mode: 'automatic'; retireAfterMs: number }
>;
export type SigningKeyCommand = AddFirstSigningKey | RotateSigningKey | RetireSigningKeys;

export function statusOf(key: SigningKeyRecord, state: SigningKeyState): SigningKeyStatus {
  if (key.retiredAt !== null) return 'retired';
  return key.kid === state.activeKid ? 'active' : 'previous';
}

/** The keys that are published and accepted, the active one first, then previous ones newest first. */
export function publishedKeys(state: SigningKeyState): SigningKeyRecord[] {
  const previous = state.keys.filter((k) => statusOf(k, state) === 'previous').reverse();
  const active = state.keys.find((k) => k.kid === state.activeKid);
  return active ? [active, ...previous] : previous;
}

/** When a previous key has been out of use for `afterMs` (ms since the epoch); null for other keys. */
export function outOfUseFor(key: SigningKeyRecord, afterMs: number): number | null {
  return key.rotatedOutAt === null || key.retiredAt !== null ? null : Date.parse(key.rotatedOutAt) + afterMs;
}

export const signingKeyDecider: Decider<SigningKeyState, SigningKeyCommand, SigningKeyEvent> = {
  initialState: () => ({ keys: [], activeKid: null }),

  decide(command, state) {
    const { now, by } = command.metadata;
    switch (command.type) {
      case 'AddFirstSigningKey':
        if (state.activeKid !== null) return [];
        assertNew(command.data.kid, state);
        return [{ type: 'SigningKeyCreated', data: { kid: command.data.kid, alg: 'ES256', origin: command.data.origin, createdAt: now, createdBy: by } }];
      case 'RotateSigningKey': {
        assertNew(command.data.kid, state);
        const { kid, reason } = command.data;
        const rotated: SigningKeyEvent = { type: 'SigningKeyRotated', data: { kid, alg: 'ES256', previousKid: state.activeKid, reason, rotatedAt: now, rotatedBy: by } };
        if (reason !== 'active_key_missing' || state.activeKid === null) return [rotated];
        return [rotated, { type: 'SigningKeyRetired', data: { kid: state.activeKid, reason: 'key_missing', retiredAt: now, retiredBy: by } }];
      }
      case 'RetireSigningKeys': {
        const at = Date.parse(now);
        const data = command.data;
        const waitMs = data.mode === 'automatic' ? data.retireAfterMs : data.mode === 'retire_old' ? data.minPreviousKeyMs : 0;
        const reason = data.mode === 'retire_old' ? 'retire_old' : data.mode;
        return state.keys
          .filter((key) => {
            const from = outOfUseFor(key, waitMs);
            return from !== null && from <= at;
          })
          .map((key) => ({ type: 'SigningKeyRetired', data: { kid: key.kid, reason, retiredAt: now, retiredBy: by } }));
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'SigningKeyCreated': {
        const { kid, alg, origin, createdAt, createdBy } = event.data;
        return { keys: [...state.keys, fresh(kid, alg, origin, createdAt, createdBy)], activeKid: kid };
      }
      case 'SigningKeyRotated': {
        const { kid, alg, previousKid, reason, rotatedAt, rotatedBy } = event.data;
        const keys = state.keys.map((k) => (k.kid === previousKid && k.rotatedOutAt === null ? { ...k, rotatedOutAt: rotatedAt } : k));
        return { keys: [...keys, fresh(kid, alg, reason, rotatedAt, rotatedBy)], activeKid: kid };
      }
      case 'SigningKeyRetired': {
        const { kid, reason, retiredAt, retiredBy } = event.data;
        const keys = state.keys.map((k) => (k.kid === kid && k.retiredAt === null ? { ...k, retiredAt, retiredBy, retireReason: reason } : k));
        return { keys, activeKid: state.activeKid === kid ? null : state.activeKid };
      }
      default:
        return state;
    }
  },
};

function fresh(kid: string, alg: 'ES256', origin: SigningKeyRecord['origin'], createdAt: string, createdBy: SigningKeyActor): SigningKeyRecord {
  return { kid, alg, origin, createdAt, createdBy, rotatedOutAt: null, retiredAt: null, retiredBy: null, retireReason: null };
}

function assertNew(kid: string, state: SigningKeyState): void {
  // Key ids are random: a repeat means a caller bug, never something a user did.
  if (state.keys.some((k) => k.kid === kid)) throw new TypeError(`signing key ${kid} exists already`);
}
