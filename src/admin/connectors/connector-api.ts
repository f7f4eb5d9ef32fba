import type { EventStore } from '@csmcp/event-store';
import type { ConnectorTestReport, ConnectorUser } from '../../connectors/client/connector-client';
import { ConnectorError, type ConnectorErrorCategory } from '../../connectors/registry/connector-error';
import { findUserByEmail } from '../../users/user-directory';
import { AdminApiError } from '../http/admin-api-error';

/**
 * How a ConnectorError answers over HTTP: the caller's mistake as 4xx; "needs (re-)authorisation" as
 * 409 (the connector is in a state where this cannot work until someone authorises); the external
 * server or the network failing (including the SSRF guard refusing its address) as 502.
 */
const STATUS_OF: Readonly<Record<ConnectorErrorCategory, number>> = {
  VALIDATION: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  ILLEGAL_STATE: 409,
  AUTHORIZATION: 409,
  CONNECTION: 502,
};
/** Authorization failures that are the provider's doing, not a state an admin can fix by authorising. */
const UPSTREAM_AUTHORIZATION = new Set(['AUTHORIZATION_FAILED', 'PKCE_NOT_SUPPORTED']);

export function connectorApiError(error: ConnectorError): AdminApiError {
  const status = UPSTREAM_AUTHORIZATION.has(error.code) ? 502 : STATUS_OF[error.category];
  return new AdminApiError(status, error.code, error.message, error.field ? { field: error.field } : undefined);
}

/**
 * Runs a service call, turning its ConnectorError into the admin API's answer; a missing connector
 * points at this API rather than the CLI.
 */
export async function connectorCall<T>(work: () => Promise<T>, name?: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error;
    if (error.code === 'CONNECTOR_NOT_FOUND' && name !== undefined)
      throw new AdminApiError(404, 'CONNECTOR_NOT_FOUND', `no connector is named ${name}; GET /admin/api/connectors lists them`, { field: 'name' });
    throw connectorApiError(error);
  }
}

/** The csmcp user a user_email names (404 USER_NOT_FOUND otherwise). */
export async function connectorUserOf(store: EventStore, email: string): Promise<ConnectorUser> {
  const user = await findUserByEmail(store, email.trim());
  if (!user) throw new AdminApiError(404, 'USER_NOT_FOUND', `user_email ${email}: there is no such csmcp user; GET /admin/api/users lists them`, { field: 'user_email' });
  return { userId: user.userId, email: user.email };
}

/** `connectors test`'s report in the admin API's snake_case; never a secret or a token. */
export function testReportJson(report: ConnectorTestReport) {
  const { auth } = report;
  return {
    connector: report.connector,
    url: report.url,
    transport: { configured: report.transport.configured, used: report.transport.used, fell_back: report.transport.fellBack },
    server: report.server ? { name: report.server.name, version: report.server.version } : null,
    protocol_version: report.protocolVersion,
    auth: {
      kind: auth.kind,
      grant: auth.grant,
      subject: auth.subject,
      client: auth.client,
      status: auth.status,
      problem: auth.problem,
      authorized_at: auth.authorizedAt,
      refreshed_at: auth.refreshedAt,
      expires_at: auth.expiresAt,
      scope: auth.scope,
      refreshed_during_test: auth.refreshedDuringTest,
    },
    tools: report.tools.map((t) => ({ name: t.name, title: t.title ?? null, description: t.description ?? null, read_only: t.readOnly })),
  };
}
