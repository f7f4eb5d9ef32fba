import { Command } from '@nestjs/cqrs';
import type { SelfServiceCaller } from '../my-connector';

export interface MyAuthorizationStarted {
  readonly connector: string;
  readonly url: string;
  readonly expiresAt: string;
}

/** Starts the calling user's own authorization of a user-specific connector (authorize_connector). */
export class AuthorizeMyConnectorCommand extends Command<MyAuthorizationStarted> {
  constructor(
    readonly caller: SelfServiceCaller,
    readonly connector: string,
  ) {
    super();
  }
}
