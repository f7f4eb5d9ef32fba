import type { RecordedEvent } from '@csmcp/event-store';
import type { Projection, SqlExecutor } from '@csmcp/projections';
import { toEntry } from '../audit-log';
import { AUDIT_ENTRY_TYPES, AUDIT_STREAM } from '../domain/audit-entry';
import { AUDIT_COLUMNS, rowOf, subjectsOf } from './audit-row';
import { AUDIT_DDL } from './audit.tables';

const INSERT = `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (seq) DO NOTHING`;

/** audit_log and audit_log_subjects, from the audit-log stream. */
export class AuditProjection implements Projection {
  readonly name = 'audit';
  readonly version = 1;
  readonly handles: readonly string[] = AUDIT_ENTRY_TYPES;

  async setup(db: SqlExecutor): Promise<void> {
    await db.exec(AUDIT_DDL);
  }

  async reset(db: SqlExecutor): Promise<void> {
    await db.exec('DROP TABLE IF EXISTS audit_log; DROP TABLE IF EXISTS audit_log_subjects');
    await db.exec(AUDIT_DDL);
  }

  async apply(event: RecordedEvent, db: SqlExecutor): Promise<void> {
    if (event.streamName !== AUDIT_STREAM) return;
    const entry = toEntry(event.revision, event.type, event.data);
    const row = rowOf(entry);
    await db.run(INSERT, AUDIT_COLUMNS.map((c) => row[c]));
    for (const id of subjectsOf(entry)) await db.run('INSERT INTO audit_log_subjects (entity_id, seq) VALUES (?, ?) ON CONFLICT DO NOTHING', [id, entry.seq]);
  }
}
