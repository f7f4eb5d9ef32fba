import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { AppConfig } from '../../config/config';
import { ConnectorError } from '../registry/connector-error';

/**
 * Encrypts what csmcp keeps for its connectors (access and refresh tokens, client secrets, dynamic
 * registrations, PKCE verifiers) with AES-256-GCM under CONNECTOR_TOKEN_KEY. Each value is bound to
 * where it is stored (the associated data names the connector, the grant and the kind), so a value
 * copied to another row does not decrypt. A value names its key by a short fingerprint: after a
 * rotation (the new key in CONNECTOR_TOKEN_KEY, the old one in CONNECTOR_TOKEN_OLD_KEYS) older values
 * still decrypt, every value written from then on uses the new key, and `csmcp connectors rekey`
 * re-encrypts the rest so the old key can go.
 */
export class TokenCipher {
  private readonly keys: Map<string, Buffer>;
  private readonly currentId: string | null;

  constructor(keys: AppConfig['connectorTokenKeys']) {
    this.keys = new Map();
    this.currentId = keys ? keyId(keys.current) : null;
    if (keys) for (const key of [keys.current, ...keys.previous]) this.keys.set(keyId(key), key);
  }

  static fromConfig(config: Pick<AppConfig, 'connectorTokenKeys'>): TokenCipher {
    return new TokenCipher(config.connectorTokenKeys ?? null);
  }

  get configured(): boolean {
    return this.currentId !== null;
  }

  /** `v1.<key id>.<iv>.<ciphertext>.<tag>`, base64url parts. */
  encrypt(plaintext: string, context: string): string {
    const id = this.requireKey();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(id)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', id, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  decrypt(value: string, context: string): string {
    const [version, id, iv, body, tag] = value.split('.');
    if (version !== 'v1' || tag === undefined) throw new ConnectorError('TOKEN_KEY_MISSING', 'a stored connector credential is not in a format csmcp knows (v1)');
    const key = this.keys.get(id);
    if (!key) {
      this.requireKey();
      throw new ConnectorError(
        'TOKEN_KEY_MISSING',
        `a stored connector credential was encrypted with a key csmcp no longer has (key ${id}): put that key back in CONNECTOR_TOKEN_OLD_KEYS, or authorise the connector again`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new ConnectorError('TOKEN_KEY_MISSING', 'a stored connector credential does not decrypt (altered, or moved from where it was stored)', undefined, { cause: error });
    }
  }

  /** Whether a value is encrypted with a key other than the current one (rekey re-encrypts it). */
  isStale(value: string): boolean {
    return value.split('.')[1] !== this.currentId;
  }

  private requireKey(): string {
    if (this.currentId === null)
      throw new ConnectorError(
        'TOKEN_KEY_MISSING',
        'CONNECTOR_TOKEN_KEY is not set: csmcp encrypts connector tokens and client secrets with it; set it to base64 of 32 random bytes (openssl rand -base64 32) for the server and the CLI alike',
      );
    return this.currentId;
  }
}

/** The first 8 hex digits of the key's SHA-256: names a key without revealing it. */
function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}
