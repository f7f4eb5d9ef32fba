import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ConnectorAuthorizations } from '../../oauth/connector-authorizations';
import { needsSignIn, usesOAuth } from '../../registry/connector';
import { ConnectorError } from '../../registry/connector-error';
import { ConnectorRegistry } from '../../registry/connector.service';
import { notAUser } from '../my-connector';
import { AuthorizeMyConnectorCommand, type MyAuthorizationStarted } from './authorize-my-connector.command';

const LIST = 'call authorize_connector without a connector to see the ones you can authorise';

/**
 * Checks first, in words for the user (and their LLM) rather than the CLI's: a person's token, an
 * existing user-specific connector the organisation authorised; then ConnectorAuthorizations.begin for
 * the user as subject, the user as the actor of what it records.
 */
@CommandHandler(AuthorizeMyConnectorCommand)
export class AuthorizeMyConnectorHandler implements ICommandHandler<AuthorizeMyConnectorCommand> {
  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly authorizations: ConnectorAuthorizations,
  ) {}

  async execute({ caller, connector: name }: AuthorizeMyConnectorCommand): Promise<MyAuthorizationStarted> {
    const { user } = caller;
    if (caller.actor === 'client') throw notAUser();
    const connector = await this.registry.get(name.trim());
    if (!connector) throw new ConnectorError('CONNECTOR_NOT_FOUND', `no connector is named ${JSON.stringify(name)}; ${LIST}`, 'connector');
    if (!usesOAuth(connector)) throw new ConnectorError('NO_AUTHORIZATION_NEEDED', `connector ${connector.name} needs no authorization: csmcp reaches it without signing in`, 'connector');
    if (connector.authorizationScope !== 'user')
      throw new ConnectorError(
        'NOT_USER_SPECIFIC',
        `connector ${connector.name} is company-wide: an admin authorises it once for the whole organisation${connector.companyAuthorizedAt ? ' (done)' : ' (not yet: ask an admin)'}, so there is nothing for you to authorise; ${LIST}`,
        'connector',
      );
    if (!needsSignIn(connector)) throw new ConnectorError('NOT_USER_SPECIFIC', `connector ${connector.name} authenticates as csmcp itself; there is nothing for you to authorise`, 'connector');
    if (connector.companyAuthorizedAt === null)
      throw new ConnectorError(
        'COMPANY_AUTHORIZATION_FIRST',
        `connector ${connector.name} is not authorised for the organisation yet: an admin authorises it first (the admin console, or csmcp connectors authorize ${connector.name}); then call authorize_connector again`,
        'connector',
      );
    const result = await this.authorizations.begin(
      connector.name,
      { kind: 'user', userId: user.userId, email: user.email },
      { actor: { type: 'user', id: user.userId, email: user.email }, toolName: 'authorize_connector' },
    );
    if (result.kind !== 'redirect') throw new ConnectorError('AUTHORIZATION_FAILED', `connector ${connector.name} gave csmcp a token without anyone signing in; there is nothing for you to open`);
    return { connector: result.connector.name, url: result.url, expiresAt: result.expiresAt };
  }
}
