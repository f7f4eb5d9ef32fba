/**
 * A valid token used from an address its integration's IP allow-list does not include. Not the
 * token's fault (the client must not throw it away or sign in again), so not 401 invalid_token: the
 * bearer middleware answers 403 access_denied with this message.
 */
export class AddressNotAllowedError extends Error {
  constructor(
    readonly address: string | null,
    readonly integrationName: string,
  ) {
    super(
      `Requests from ${address ?? 'an unknown address'} are not allowed for the integration ${integrationName}: its IP allow-list does not include this address (an admin changes it with csmcp integrations update --ip-allow)`,
    );
    this.name = 'AddressNotAllowedError';
  }
}
