import type { RecordedEvent } from '@csmcp/event-store';
import { send, type Projection, type SqlExecutor, type SqlParam } from '@csmcp/projections';
import type {
  CompanyImported,
  CompanyProfileChanged,
  ContactImported,
  ContactProfileChanged,
  RelationshipImported,
  RelationshipProfileChanged,
} from '../companies/company.events';
import type { CtaCreated, CtaTaskCreated, CtaUpdated } from '../ctas/cta.events';
import type { ScorecardRecorded } from '../scorecards/scorecard.events';
import { OPEN_CTA_STATUSES } from '../shared/values';
import type { SuccessPlanCreated, SuccessPlanUpdated } from '../success-plans/success-plan.events';
import type { TimelineActivityCreated, TimelineActivityUpdated } from '../timeline/timeline-activity.events';
import { CUSTOMER_SUCCESS_DDL, CUSTOMER_SUCCESS_TABLES, OVERALL_MEASURE } from './customer-success.tables';

/** In an upsert of a newer reading: the score it replaces becomes the previous one (a same-day re-reading keeps it). */
const PREVIOUS =
  '(CASE WHEN excluded.as_of > cs_scorecard_measures.as_of THEN cs_scorecard_measures.score ELSE cs_scorecard_measures.previous_score END)';

type Data<E extends { data: object }> = E['data'];
type Handler = (data: never, db: SqlExecutor) => Promise<void>;

const OPEN = new Set<string>(OPEN_CTA_STATUSES);
const isOpen = (status: unknown): boolean => OPEN.has(status as string);

/**
 * Which event field goes to which column on an update. Only names listed here ever reach the SQL
 * text of an UPDATE; a field an older or newer event version carries that is not listed is ignored.
 */
const COMPANY_COLUMNS: Record<string, string> = {
  name: 'name',
  externalId: 'external_id',
  industry: 'industry',
  segment: 'segment',
  lifecycleStage: 'lifecycle_stage',
  region: 'region',
  employees: 'employees',
  arr: 'arr',
  renewalDate: 'renewal_date',
  ownerId: 'owner_id',
};
const RELATIONSHIP_COLUMNS: Record<string, string> = {
  name: 'name',
  type: 'type',
  arr: 'arr',
  renewalDate: 'renewal_date',
  ownerId: 'owner_id',
};
const CONTACT_COLUMNS: Record<string, string> = {
  name: 'name',
  email: 'email',
  title: 'title',
  role: 'role',
  sentiment: 'sentiment',
  isPrimary: 'is_primary',
};
const CTA_COLUMNS: Record<string, string> = {
  name: 'name',
  priority: 'priority',
  status: 'status',
  ownerId: 'owner_id',
  dueDate: 'due_date',
  reason: 'reason',
  comments: 'comments',
  closedAt: 'closed_at',
};
const PLAN_COLUMNS: Record<string, string> = {
  name: 'name',
  planType: 'plan_type',
  status: 'status',
  ownerId: 'owner_id',
  startDate: 'start_date',
  dueDate: 'due_date',
  description: 'description',
  closedAt: 'closed_at',
};
const ACTIVITY_COLUMNS: Record<string, string> = {
  subject: 'subject',
  notes: 'notes',
  type: 'type',
  occurredAt: 'occurred_at',
};

/**
 * Every cs_* table of docs/read-models.md, in one projection so the counters on cs_companies (open
 * CTAs, active plans, activities, health) always match the rows they count at any checkpoint.
 * Mostly one upsert per event; a row is read back only when an update needs something the event
 * does not carry (the company of a CTA whose status flips open/closed, for instance).
 */
export class CustomerSuccessProjection implements Projection {
  readonly name = 'customer_success';
  readonly version = 1;

  private readonly handlers: Record<string, Handler> = {
    CompanyImported: (d: Data<CompanyImported>, db) => this.companyImported(d, db),
    CompanyProfileChanged: (d: Data<CompanyProfileChanged>, db) => this.companyChanged(d, db),
    RelationshipImported: (d: Data<RelationshipImported>, db) => this.relationshipImported(d, db),
    RelationshipProfileChanged: (d: Data<RelationshipProfileChanged>, db) =>
      this.applyChanges(db, 'cs_relationships', 'relationship_id', d.relationshipId, d.changes, RELATIONSHIP_COLUMNS, d.changedAt),
    ContactImported: (d: Data<ContactImported>, db) => this.contactImported(d, db),
    ContactProfileChanged: (d: Data<ContactProfileChanged>, db) =>
      this.applyChanges(db, 'cs_contacts', 'contact_id', d.contactId, d.changes, CONTACT_COLUMNS, null),
    ScorecardRecorded: (d: Data<ScorecardRecorded>, db) => this.scorecardRecorded(d, db),
    CtaCreated: (d: Data<CtaCreated>, db) => this.ctaCreated(d, db),
    CtaUpdated: (d: Data<CtaUpdated>, db) => this.ctaUpdated(d, db),
    CtaTaskCreated: (d: Data<CtaTaskCreated>, db) => this.ctaTaskCreated(d, db),
    SuccessPlanCreated: (d: Data<SuccessPlanCreated>, db) => this.planCreated(d, db),
    SuccessPlanUpdated: (d: Data<SuccessPlanUpdated>, db) => this.planUpdated(d, db),
    TimelineActivityCreated: (d: Data<TimelineActivityCreated>, db) => this.activityCreated(d, db),
    TimelineActivityUpdated: (d: Data<TimelineActivityUpdated>, db) => this.activityUpdated(d, db),
  };

  readonly handles: readonly string[] = Object.keys(this.handlers);

  async setup(db: SqlExecutor): Promise<void> {
    await db.exec(CUSTOMER_SUCCESS_DDL);
  }

  /** Drops and recreates the tables, so a new version of the DDL takes effect on a rebuild. */
  async reset(db: SqlExecutor): Promise<void> {
    await db.exec(CUSTOMER_SUCCESS_TABLES.map((t) => `DROP TABLE IF EXISTS ${t}`).join(';\n'));
    await db.exec(CUSTOMER_SUCCESS_DDL);
  }

  apply(event: RecordedEvent, db: SqlExecutor): Promise<void> {
    const handler = this.handlers[event.type];
    return handler ? handler(event.data as never, db) : Promise.resolve();
  }

  // --- companies, relationships, contacts ------------------------------------------------------

  private async companyImported(d: Data<CompanyImported>, db: SqlExecutor): Promise<void> {
    await send(
      db,
      `INSERT INTO cs_companies (company_id, name, name_lower, external_id, industry, segment, lifecycle_stage, region, employees, arr,
         renewal_date, owner_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (company_id) DO UPDATE SET name = excluded.name, name_lower = excluded.name_lower, external_id = excluded.external_id,
         industry = excluded.industry, segment = excluded.segment, lifecycle_stage = excluded.lifecycle_stage, region = excluded.region,
         employees = excluded.employees, arr = excluded.arr, renewal_date = excluded.renewal_date, owner_id = excluded.owner_id,
         updated_at = excluded.updated_at`,
      [
        d.companyId,
        d.name,
        d.name.toLowerCase(),
        d.externalId ?? null,
        d.industry ?? null,
        d.segment ?? null,
        d.lifecycleStage ?? null,
        d.region ?? null,
        d.employees ?? null,
        d.arr ?? 0,
        d.renewalDate ?? null,
        d.ownerId ?? null,
        d.importedAt,
        d.importedAt,
      ],
    );
    // Whatever was projected for this company before it was imported (an import out of order) counts.
    await send(
      db,
      `UPDATE cs_companies SET
         open_cta_count = (SELECT COUNT(*) FROM cs_ctas WHERE company_id = ? AND is_open = 1),
         open_risk_cta_count = (SELECT COUNT(*) FROM cs_ctas WHERE company_id = ? AND is_open = 1 AND type = 'Risk'),
         active_plan_count = (SELECT COUNT(*) FROM cs_success_plans WHERE company_id = ? AND status = 'Active'),
         activity_count = (SELECT COUNT(*) FROM cs_timeline_activities WHERE company_id = ?),
         last_activity_at = (SELECT MAX(occurred_at) FROM cs_timeline_activities WHERE company_id = ?)
       WHERE company_id = ?`,
      [d.companyId, d.companyId, d.companyId, d.companyId, d.companyId, d.companyId],
    );
    // The latest overall reading, if any, in the same statement (nothing read back: no round trip of its own).
    await send(
      db,
      `UPDATE cs_companies SET health_score = h.score, health_color = h.color, health_as_of = h.as_of
       FROM (SELECT score, color, as_of FROM cs_scorecard_history WHERE company_id = ? AND measure = ? ORDER BY as_of DESC LIMIT 1) AS h
       WHERE cs_companies.company_id = ?`,
      [d.companyId, OVERALL_MEASURE, d.companyId],
    );
  }

  private async companyChanged(d: Data<CompanyProfileChanged>, db: SqlExecutor): Promise<void> {
    const extra: Array<[string, SqlParam]> = [];
    const name = d.changes.find((c) => c.field === 'name');
    if (name && typeof name.to === 'string') extra.push(['name_lower', name.to.toLowerCase()]);
    await this.applyChanges(db, 'cs_companies', 'company_id', d.companyId, d.changes, COMPANY_COLUMNS, d.changedAt, extra);
  }

  private async relationshipImported(d: Data<RelationshipImported>, db: SqlExecutor): Promise<void> {
    await send(
      db,
      `INSERT INTO cs_relationships (relationship_id, company_id, name, type, arr, renewal_date, owner_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (relationship_id) DO UPDATE SET company_id = excluded.company_id, name = excluded.name, type = excluded.type,
         arr = excluded.arr, renewal_date = excluded.renewal_date, owner_id = excluded.owner_id, updated_at = excluded.updated_at`,
      [
        d.relationshipId,
        d.companyId,
        d.name,
        d.type ?? null,
        d.arr ?? 0,
        d.renewalDate ?? null,
        d.ownerId ?? null,
        d.importedAt,
        d.importedAt,
      ],
    );
  }

  private async contactImported(d: Data<ContactImported>, db: SqlExecutor): Promise<void> {
    await send(
      db,
      `INSERT INTO cs_contacts (contact_id, company_id, name, email, title, role, sentiment, is_primary)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (contact_id) DO UPDATE SET company_id = excluded.company_id, name = excluded.name, email = excluded.email,
         title = excluded.title, role = excluded.role, sentiment = excluded.sentiment, is_primary = excluded.is_primary`,
      [d.contactId, d.companyId, d.name, d.email ?? null, d.title ?? null, d.role ?? null, d.sentiment ?? 'Unknown', d.isPrimary ? 1 : 0],
    );
  }

  // --- scorecards --------------------------------------------------------------------------------

  /**
   * History first, then health and the current measures. A reading newer than (or as new as) the
   * company's current health is the common case: each measure's previous score is the row it
   * replaces. A reading imported out of order (older than the current one) only adds history, then
   * the previous score and trend of the measures dated after it are recomputed from the history.
   */
  private async scorecardRecorded(d: Data<ScorecardRecorded>, db: SqlExecutor): Promise<void> {
    const points: SqlParam[] = [d.companyId, OVERALL_MEASURE, d.asOf, d.overallScore, d.overallColor];
    const measures: SqlParam[] = [];
    // One reading per measure name (a scorecard naming a measure twice keeps the last one): PostgreSQL
    // refuses an upsert that touches the same row twice.
    const byName = new Map(d.measures.filter((m) => m.name !== OVERALL_MEASURE).map((m) => [m.name, m]));
    for (const m of byName.values()) {
      points.push(d.companyId, m.name, d.asOf, m.score, m.color);
      measures.push(d.companyId, m.name, m.score, m.color, m.comment ?? null, d.asOf);
    }
    await send(
      db,
      `INSERT INTO cs_scorecard_history (company_id, measure, as_of, score, color) VALUES ${rows(5, byName.size + 1)}
       ON CONFLICT (company_id, measure, as_of) DO UPDATE SET score = excluded.score, color = excluded.color`,
      points,
    );
    const { changes: newest } = await db.run(
      `UPDATE cs_companies SET health_score = ?, health_color = ?, health_as_of = ?
       WHERE company_id = ? AND (health_as_of IS NULL OR health_as_of <= ?)`,
      [d.overallScore, d.overallColor, d.asOf, d.companyId, d.asOf],
    );
    if (byName.size === 0) return;
    if (newest > 0) {
      await send(
        db,
        `INSERT INTO cs_scorecard_measures (company_id, name, score, color, comment, as_of) VALUES ${rows(6, byName.size)}
         ON CONFLICT (company_id, name) DO UPDATE SET score = excluded.score, color = excluded.color, comment = excluded.comment,
           as_of = excluded.as_of, previous_score = ${PREVIOUS}, trend = CASE WHEN ${PREVIOUS} IS NULL THEN NULL
             WHEN excluded.score > ${PREVIOUS} THEN 'up' WHEN excluded.score < ${PREVIOUS} THEN 'down' ELSE 'flat' END
         WHERE excluded.as_of >= cs_scorecard_measures.as_of`,
        measures,
      );
      return;
    }
    // Out of order, or the company is not imported yet: the history decides.
    await send(
      db,
      `INSERT INTO cs_scorecard_measures (company_id, name, score, color, comment, as_of) VALUES ${rows(6, byName.size)}
       ON CONFLICT (company_id, name) DO UPDATE SET score = excluded.score, color = excluded.color, comment = excluded.comment,
         as_of = excluded.as_of
       WHERE excluded.as_of >= cs_scorecard_measures.as_of`,
      measures,
    );
    await send(
      db,
      `UPDATE cs_scorecard_measures SET previous_score = (
         SELECT h.score FROM cs_scorecard_history h
         WHERE h.company_id = cs_scorecard_measures.company_id AND h.measure = cs_scorecard_measures.name
           AND h.as_of < cs_scorecard_measures.as_of
         ORDER BY h.as_of DESC LIMIT 1)
       WHERE company_id = ? AND as_of >= ?`,
      [d.companyId, d.asOf],
    );
    await send(
      db,
      `UPDATE cs_scorecard_measures SET trend = CASE
         WHEN previous_score IS NULL THEN NULL WHEN score > previous_score THEN 'up' WHEN score < previous_score THEN 'down' ELSE 'flat' END
       WHERE company_id = ? AND as_of >= ?`,
      [d.companyId, d.asOf],
    );
  }

  // --- CTAs and tasks ----------------------------------------------------------------------------

  private async ctaCreated(d: Data<CtaCreated>, db: SqlExecutor): Promise<void> {
    const open = isOpen(d.status) ? 1 : 0;
    const then: Statement[] = [];
    if (open)
      then.push({
        sql: 'UPDATE cs_companies SET open_cta_count = open_cta_count + 1, open_risk_cta_count = open_risk_cta_count + ? WHERE company_id = ?',
        params: [d.type === 'Risk' ? 1 : 0, d.companyId],
      });
    if (d.successPlanId)
      then.push({
        sql: `UPDATE cs_success_plans SET objective_count = objective_count + 1, open_objective_count = open_objective_count + ?
         WHERE success_plan_id = ?`,
        params: [open, d.successPlanId],
      });
    await insertThen(db, {
      sql: `INSERT INTO cs_ctas (cta_id, company_id, relationship_id, success_plan_id, name, type, priority, status, is_open, owner_id,
         due_date, reason, comments, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (cta_id) DO NOTHING`,
      params: [
        d.ctaId,
        d.companyId,
        d.relationshipId ?? null,
        d.successPlanId ?? null,
        d.name,
        d.type,
        d.priority,
        d.status,
        open,
        d.ownerId,
        d.dueDate ?? null,
        d.reason ?? null,
        d.comments ?? null,
        d.createdAt,
        d.createdAt,
      ],
    }, then);
  }

  private async ctaUpdated(d: Data<CtaUpdated>, db: SqlExecutor): Promise<void> {
    const status = d.changes.find((c) => c.field === 'status');
    const delta = status ? Number(isOpen(status.to)) - Number(isOpen(status.from)) : 0;
    if (delta === 0) {
      await this.applyChanges(db, 'cs_ctas', 'cta_id', d.ctaId, d.changes, CTA_COLUMNS, d.updatedAt);
      return;
    }
    // Opened or closed: the counters of its company (and plan, for an objective) move with it.
    const cta = await this.applyChanges<{ company_id: string; type: string; success_plan_id: string | null }>(
      db,
      'cs_ctas',
      'cta_id',
      d.ctaId,
      d.changes,
      CTA_COLUMNS,
      d.updatedAt,
      [['is_open', delta > 0 ? 1 : 0]],
      'company_id, type, success_plan_id',
    );
    if (!cta) return;
    await send(
      db,
      'UPDATE cs_companies SET open_cta_count = open_cta_count + ?, open_risk_cta_count = open_risk_cta_count + ? WHERE company_id = ?',
      [delta, cta.type === 'Risk' ? delta : 0, cta.company_id],
    );
    if (cta.success_plan_id)
      await send(db, 'UPDATE cs_success_plans SET open_objective_count = open_objective_count + ? WHERE success_plan_id = ?', [
        delta,
        cta.success_plan_id,
      ]);
  }

  private async ctaTaskCreated(d: Data<CtaTaskCreated>, db: SqlExecutor): Promise<void> {
    const counted: Statement = {
      sql: 'UPDATE cs_ctas SET task_count = task_count + 1, open_task_count = open_task_count + ? WHERE cta_id = ?',
      params: [d.status === 'Completed' ? 0 : 1, d.ctaId],
    };
    await insertThen(db, {
      sql: `INSERT INTO cs_cta_tasks (task_id, cta_id, company_id, title, description, owner_id, due_date, priority, status, created_at)
       VALUES (?, ?, (SELECT company_id FROM cs_ctas WHERE cta_id = ?), ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (task_id) DO NOTHING`,
      params: [
        d.taskId,
        d.ctaId,
        d.ctaId,
        d.title,
        d.description ?? null,
        d.ownerId,
        d.dueDate ?? null,
        d.priority,
        d.status,
        d.createdAt,
      ],
    }, [counted]);
  }

  // --- success plans -----------------------------------------------------------------------------

  private async planCreated(d: Data<SuccessPlanCreated>, db: SqlExecutor): Promise<void> {
    // Objectives are CTAs created after their plan; counting them here covers a log replayed out of order.
    const then: Statement[] =
      d.status === 'Active' ? [{ sql: 'UPDATE cs_companies SET active_plan_count = active_plan_count + 1 WHERE company_id = ?', params: [d.companyId] }] : [];
    await insertThen(db, {
      sql: `INSERT INTO cs_success_plans (success_plan_id, company_id, relationship_id, name, plan_type, status, owner_id, start_date, due_date,
         description, created_at, updated_at, objective_count, open_objective_count)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
         (SELECT COUNT(*) FROM cs_ctas WHERE success_plan_id = ?), (SELECT COUNT(*) FROM cs_ctas WHERE success_plan_id = ? AND is_open = 1))
       ON CONFLICT (success_plan_id) DO NOTHING`,
      params: [
        d.successPlanId,
        d.companyId,
        d.relationshipId ?? null,
        d.name,
        d.planType ?? null,
        d.status,
        d.ownerId,
        d.startDate ?? null,
        d.dueDate ?? null,
        d.description ?? null,
        d.createdAt,
        d.createdAt,
        d.successPlanId,
        d.successPlanId,
      ],
    }, then);
  }

  private async planUpdated(d: Data<SuccessPlanUpdated>, db: SqlExecutor): Promise<void> {
    await this.applyChanges(db, 'cs_success_plans', 'success_plan_id', d.successPlanId, d.changes, PLAN_COLUMNS, d.updatedAt);
    const status = d.changes.find((c) => c.field === 'status');
    const delta = status ? Number(status.to === 'Active') - Number(status.from === 'Active') : 0;
    if (delta === 0) return;
    await send(
      db,
      `UPDATE cs_companies SET active_plan_count = active_plan_count + ?
       WHERE company_id = (SELECT company_id FROM cs_success_plans WHERE success_plan_id = ?)`,
      [delta, d.successPlanId],
    );
  }

  // --- timeline ----------------------------------------------------------------------------------

  private async activityCreated(d: Data<TimelineActivityCreated>, db: SqlExecutor): Promise<void> {
    const companyId = d.companyId || (await this.companyOfContext(d.context?.kind, d.context?.id, db));
    if (!companyId) return;
    const counted: Statement = {
      sql: `UPDATE cs_companies SET activity_count = activity_count + 1,
         last_activity_at = CASE WHEN last_activity_at IS NULL OR last_activity_at < ? THEN ? ELSE last_activity_at END
       WHERE company_id = ?`,
      params: [d.occurredAt, d.occurredAt, companyId],
    };
    await insertThen(db, {
      sql: `INSERT INTO cs_timeline_activities (activity_id, company_id, context_kind, context_id, type, subject, notes, occurred_at, author_id,
         participants, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (activity_id) DO NOTHING`,
      params: [
        d.activityId,
        companyId,
        d.context?.kind ?? 'company',
        d.context?.id ?? companyId,
        d.type,
        d.subject,
        d.notes ?? null,
        d.occurredAt,
        d.authorId,
        JSON.stringify(d.participants ?? []),
        d.createdAt,
        d.createdAt,
      ],
    }, [counted]);
  }

  private async activityUpdated(d: Data<TimelineActivityUpdated>, db: SqlExecutor): Promise<void> {
    await this.applyChanges(db, 'cs_timeline_activities', 'activity_id', d.activityId, d.changes, ACTIVITY_COLUMNS, d.updatedAt);
    if (!d.changes.some((c) => c.field === 'occurredAt')) return;
    // Moved earlier or later: the latest activity of the company may be another one now.
    await send(
      db,
      `UPDATE cs_companies SET last_activity_at = (SELECT MAX(occurred_at) FROM cs_timeline_activities WHERE company_id = cs_companies.company_id)
       WHERE company_id = (SELECT company_id FROM cs_timeline_activities WHERE activity_id = ?)`,
      [d.activityId],
    );
  }

  /** The company of a relationship, success plan or CTA, as projected so far (same transaction). */
  private async companyOfContext(kind: string | undefined, id: string | undefined, db: SqlExecutor): Promise<string | null> {
    if (!id) return null;
    const table =
      kind === 'company'
        ? null
        : kind === 'cta'
          ? 'SELECT company_id FROM cs_ctas WHERE cta_id = ?'
          : kind === 'success_plan'
            ? 'SELECT company_id FROM cs_success_plans WHERE success_plan_id = ?'
            : kind === 'relationship'
              ? 'SELECT company_id FROM cs_relationships WHERE relationship_id = ?'
              : undefined;
    if (table === null) return id;
    if (table === undefined) return null;
    return (await db.get<{ company_id: string }>(table, [id]))?.company_id ?? null;
  }

  // --- helpers -----------------------------------------------------------------------------------

  /**
   * UPDATE of the columns an event's changes name (mapped through `columns`), plus `extra` and
   * updated_at; with `returning`, the updated row's columns (SQLite and PostgreSQL both have RETURNING).
   */
  private async applyChanges<Row = never>(
    db: SqlExecutor,
    table: string,
    key: string,
    id: string,
    changes: ReadonlyArray<{ field: string; to: unknown }>,
    columns: Record<string, string>,
    updatedAt: string | null,
    extra: Array<[string, SqlParam]> = [],
    returning?: string,
  ): Promise<Row | undefined> {
    const set: string[] = [];
    const params: SqlParam[] = [];
    for (const change of changes) {
      const column = Object.prototype.hasOwnProperty.call(columns, change.field) ? columns[change.field] : undefined;
      if (column === undefined) continue;
      set.push(`${column} = ?`);
      params.push(toParam(change.to));
    }
    for (const [column, value] of extra) {
      set.push(`${column} = ?`);
      params.push(value);
    }
    if (updatedAt !== null) {
      set.push('updated_at = ?');
      params.push(updatedAt);
    }
    if (set.length === 0) return undefined;
    params.push(id);
    const sql = `UPDATE ${table} SET ${set.join(', ')} WHERE ${key} = ?`;
    if (returning === undefined) {
      await send(db, sql, params);
      return undefined;
    }
    return db.get<Row>(`${sql} RETURNING ${returning}`, params);
  }
}

interface Statement {
  readonly sql: string;
  readonly params: SqlParam[];
}

/**
 * An INSERT ... ON CONFLICT DO NOTHING, then the UPDATEs (each ending in its WHERE clause) that count
 * the row only when it was inserted: an event applied twice counts once. On PostgreSQL one statement,
 * the UPDATEs guarded by the insert's RETURNING in data-modifying CTEs, queued without a round trip of
 * its own; on SQLite (no DML in WITH, nor round trips to save) the insert, then the UPDATEs if it wrote.
 */
async function insertThen(db: SqlExecutor, insert: Statement, then: readonly Statement[]): Promise<void> {
  if (db.dialect === 'postgres') {
    if (then.length === 0) return send(db, insert.sql, insert.params);
    const guard = ' AND EXISTS (SELECT 1 FROM inserted)';
    const ctes = [`inserted AS (${insert.sql} RETURNING 1)`, ...then.slice(0, -1).map((t, i) => `counted_${i} AS (${t.sql}${guard} RETURNING 1)`)];
    return send(db, `WITH ${ctes.join(', ')} ${then[then.length - 1].sql}${guard}`, [insert.params, ...then.map((t) => t.params)].flat());
  }
  const { changes } = await db.run(insert.sql, insert.params);
  if (changes === 0) return;
  for (const t of then) await send(db, t.sql, t.params);
}

function toParam(value: unknown): SqlParam {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' || typeof value === 'number') return value;
  return JSON.stringify(value);
}

const rowsCache = new Map<string, string>();

/** `(?, ?, ?), (?, ?, ?)`: `count` rows of `width` placeholders. */
function rows(width: number, count: number): string {
  const key = `${width}x${count}`;
  let text = rowsCache.get(key);
  if (text === undefined) {
    const row = `(${Array.from({ length: width }, () => '?').join(', ')})`;
    text = Array.from({ length: count }, () => row).join(', ');
    rowsCache.set(key, text);
  }
  return text;
}
