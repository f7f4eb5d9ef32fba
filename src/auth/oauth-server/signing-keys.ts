import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from 'jose';
import type { OAuthStateStore } from './oauth-state.store';

/** What the provider signs with and seals its cookies with. */
export interface AuthorizationServerKeys {
  /** Private JWKS (ES256) for oidc-provider's `jwks`. */
  readonly privateJwks: { keys: JWK[] };
  /** The public half, for the resource server (and the jwks_uri, which the provider derives itself). */
  readonly publicJwks: JSONWebKeySet;
  readonly cookieKeys: string[];
}

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'] as const;

/**
 * The signing key (ES256) and the cookie key, generated on first use and stored in the OAuth state
 * database (OAuthStateStore.keyValue: the first instance to write wins, every other instance and
 * every restart reads that one). Never the provider's development keys.
 */
export class SigningKeys {
  private loaded: Promise<AuthorizationServerKeys> | null = null;

  constructor(private readonly store: OAuthStateStore) {}

  get(): Promise<AuthorizationServerKeys> {
    this.loaded ??= this.load();
    this.loaded.catch(() => (this.loaded = null));
    return this.loaded;
  }

  private async load(): Promise<AuthorizationServerKeys> {
    const signing = JSON.parse(await this.store.keyValue('signing-jwks', generateSigningJwks)) as { keys: JWK[] };
    const cookie = await this.store.keyValue('cookie-key', async () => randomBytes(32).toString('base64url'));
    const publicKeys = signing.keys.map((key) => Object.fromEntries(PUBLIC_MEMBERS.filter((m) => key[m] !== undefined).map((m) => [m, key[m]])) as JWK);
    return { privateJwks: signing, publicJwks: { keys: publicKeys }, cookieKeys: [cookie] };
  }
}

async function generateSigningJwks(): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return JSON.stringify({ keys: [{ ...jwk, kid: `es256-${randomBytes(8).toString('hex')}`, alg: 'ES256', use: 'sig' }] });
}
