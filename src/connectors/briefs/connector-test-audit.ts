import type { AuditLog } from '../../audit/audit-log';
import type { AuditActor } from '../../audit/domain/audit-entry';
import { connectorCallTool } from '../../audit/domain/ledger';
import { ToolCallRecording } from '../../audit/tool-call-recording';
import { ConnectorError } from '../registry/connector-error';

/**
 * `connectors test` run by an admin at the CLI: a real call to the external server, so it is in the
 * audit log like a brief's calls (tool connector:<name>/tools/list), as the admin or the command line
 * itself, never charged.
 */
export async function auditedConnectorTest<T>(audit: AuditLog, actor: AuditActor, connector: string, args: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
  const recording = new ToolCallRecording(
    { actor, integrationId: null, integrationName: null, accessContext: 'shared', sessionId: null, requestId: null, sourceIp: null },
    connectorCallTool(connector, 'tools/list'),
    'read',
    args,
    0,
  );
  try {
    const result = await work();
    await audit.record({ type: 'ToolCallRecorded', body: recording.body({ outcome: 'ok', credits: 0 }) });
    return result;
  } catch (error) {
    const code = error instanceof ConnectorError ? error.code : 'INTERNAL';
    const outcome = error instanceof ConnectorError && error.category !== 'CONNECTION' ? 'refused' : 'failed';
    await audit.record({ type: 'ToolCallRecorded', body: recording.body({ outcome, code, message: error instanceof Error ? error.message : String(error) }) });
    throw error;
  }
}
