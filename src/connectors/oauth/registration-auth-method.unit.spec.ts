import { ConnectorError } from '../registry/connector-error';
import { negotiateRegistrationAuthMethod } from './registration-auth-method';

describe('negotiateRegistrationAuthMethod', () => {
  it.each([
    [['client_secret_post', 'client_secret_basic', 'none'], 'client_secret_basic'],
    [['client_secret_post', 'none'], 'none'],
    [['private_key_jwt', 'client_secret_post'], 'client_secret_post'],
    [['none'], 'none'],
    [[], 'client_secret_basic'],
    [undefined, 'client_secret_basic'],
  ])('picks from %j: %s (basic, then none, then post; RFC 8414 default basic)', (supported, expected) => {
    expect(negotiateRegistrationAuthMethod(supported, 'https://as.example')).toBe(expected);
  });

  it('says what to do when the server offers none of them', () => {
    expect(() => negotiateRegistrationAuthMethod(['private_key_jwt', 'tls_client_auth'], 'https://as.example')).toThrow(
      new ConnectorError(
        'AUTHORIZATION_FAILED',
        'the authorization server https://as.example supports none of the token endpoint auth methods csmcp registers with (client_secret_basic, none, client_secret_post); it offers private_key_jwt, tls_client_auth. Register csmcp in its portal and use --auth oauth_client instead',
      ),
    );
  });
});
