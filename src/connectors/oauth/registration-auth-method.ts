import { ConnectorError } from '../registry/connector-error';

export type RegistrationAuthMethod = 'client_secret_basic' | 'none' | 'client_secret_post';

/** The order csmcp asks for when it registers itself (as the vendors' MCP client guides do). */
export const REGISTRATION_AUTH_METHOD_PREFERENCE: readonly RegistrationAuthMethod[] = ['client_secret_basic', 'none', 'client_secret_post'];

/**
 * The token endpoint auth method csmcp registers with (RFC 7591 token_endpoint_auth_method), from the
 * authorization server's token_endpoint_auth_methods_supported: the first of client_secret_basic,
 * none, client_secret_post it supports. Without the field (or without metadata at all) RFC 8414 §2's
 * default applies: client_secret_basic.
 */
export function negotiateRegistrationAuthMethod(supported: readonly string[] | undefined, issuer: string): RegistrationAuthMethod {
  if (!supported || supported.length === 0) return 'client_secret_basic';
  const method = REGISTRATION_AUTH_METHOD_PREFERENCE.find((m) => supported.includes(m));
  if (method) return method;
  throw new ConnectorError(
    'AUTHORIZATION_FAILED',
    `the authorization server ${issuer} supports none of the token endpoint auth methods csmcp registers with (${REGISTRATION_AUTH_METHOD_PREFERENCE.join(', ')}); it offers ${supported.join(', ')}. Register csmcp in its portal and use --auth oauth_client instead`,
  );
}
