import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ConnectorAuthorizations } from '../../oauth/connector-authorizations';
import { ConnectorRegistry } from '../../registry/connector.service';
import type { MyConnector } from '../my-connector';
import { ListMyConnectorsQuery } from './list-my-connectors.query';

/** From the registry (events) and the grants (the connectors' state database), never a token. */
@QueryHandler(ListMyConnectorsQuery)
export class ListMyConnectorsHandler implements IQueryHandler<ListMyConnectorsQuery> {
  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly authorizations: ConnectorAuthorizations,
  ) {}

  async execute({ user }: ListMyConnectorsQuery): Promise<MyConnector[]> {
    const connectors = (await this.registry.list()).filter((c) => c.authorizationScope === 'user');
    return Promise.all(
      connectors.map(async (c) => {
        const mine = await this.authorizations.describe(c, { kind: 'user', userId: user.userId, email: user.email });
        return {
          name: c.name,
          url: c.url,
          organisationAuthorized: c.companyAuthorizedAt !== null,
          status: mine.status === 'authorized' || mine.status === 'needs_reauthorization' ? mine.status : 'not_authorized',
          problem: mine.status === 'needs_reauthorization' ? mine.problem : null,
          authorizedAt: mine.authorizedAt,
          expiresAt: mine.expiresAt,
        };
      }),
    );
  }
}
