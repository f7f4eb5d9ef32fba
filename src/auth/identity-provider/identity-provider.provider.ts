import { Logger } from '@nestjs/common';
import type { CommandBus } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import type { AppConfig } from '../../config/config';
import { IdentityProviderSignIn } from './identity-provider-sign-in';

/** The sign-in through the company's identity provider when IDP_* configure one; else null (no button). */
export function identityProviderSignIn(config: AppConfig, store: EventStore, commands: CommandBus): IdentityProviderSignIn | null {
  if (!config.identityProvider || config.oauth) return null;
  const logger = new Logger('IdentityProvider');
  return new IdentityProviderSignIn({ config: config.identityProvider, store, commands, logger: { log: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) } });
}
