import { Query } from '@nestjs/cqrs';
import type { ConnectorUser } from '../../client/connector-client';
import type { MyConnector } from '../my-connector';

/** The user-specific connectors, each with the organisation's authorization and this user's own. */
export class ListMyConnectorsQuery extends Query<MyConnector[]> {
  constructor(readonly user: ConnectorUser) {
    super();
  }
}
