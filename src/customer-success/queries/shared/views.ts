import type { LifecycleStage, Segment, ContactSentiment } from '../../companies/company.events';
import type { HealthColor } from '../../scorecards/scorecard.events';
import type {
  CtaStatus,
  CtaType,
  Priority,
  SuccessPlanStatus,
  TaskStatus,
  TimelineActivityType,
  TimelineContextKind,
} from '../../shared/values';

/**
 * What the read side answers: camelCase records built from the cs_* rows of docs/read-models.md.
 * Dates are YYYY-MM-DD, instants ISO 8601 UTC, absent values null.
 */

export interface CompanyView {
  companyId: string;
  name: string;
  externalId: string | null;
  industry: string | null;
  segment: Segment | null;
  lifecycleStage: LifecycleStage | null;
  region: string | null;
  employees: number | null;
  arr: number;
  renewalDate: string | null;
  ownerId: string | null;
  /** From cs_users; null when the owner is unknown there. */
  ownerName: string | null;
  ownerEmail: string | null;
  healthScore: number | null;
  healthColor: HealthColor | null;
  healthAsOf: string | null;
  openCtaCount: number;
  openRiskCtaCount: number;
  activePlanCount: number;
  activityCount: number;
  lastActivityAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RelationshipView {
  relationshipId: string;
  companyId: string;
  name: string;
  type: string | null;
  arr: number;
  renewalDate: string | null;
  ownerId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ContactView {
  contactId: string;
  companyId: string;
  name: string;
  email: string | null;
  title: string | null;
  role: string | null;
  sentiment: ContactSentiment;
  isPrimary: boolean;
}

export interface CtaView {
  ctaId: string;
  companyId: string;
  companyName: string | null;
  relationshipId: string | null;
  successPlanId: string | null;
  name: string;
  type: CtaType;
  priority: Priority;
  status: CtaStatus;
  isOpen: boolean;
  ownerId: string;
  dueDate: string | null;
  reason: string | null;
  comments: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  taskCount: number;
  openTaskCount: number;
}

export interface CtaTaskView {
  taskId: string;
  ctaId: string;
  title: string;
  description: string | null;
  ownerId: string;
  dueDate: string | null;
  priority: Priority;
  status: TaskStatus;
  createdAt: string;
}

export interface SuccessPlanView {
  successPlanId: string;
  companyId: string;
  companyName: string | null;
  relationshipId: string | null;
  name: string;
  planType: string | null;
  status: SuccessPlanStatus;
  ownerId: string;
  startDate: string | null;
  dueDate: string | null;
  description: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  objectiveCount: number;
  openObjectiveCount: number;
}

export interface TimelineActivityView {
  activityId: string;
  companyId: string;
  companyName: string | null;
  context: { kind: TimelineContextKind; id: string };
  type: TimelineActivityType;
  subject: string;
  notes: string | null;
  occurredAt: string;
  authorId: string;
  participants: string[];
  createdAt: string;
  updatedAt: string;
}

export type Trend = 'up' | 'down' | 'flat';

export interface ScorecardMeasureView {
  name: string;
  score: number;
  color: HealthColor;
  comment: string | null;
  previousScore: number | null;
  trend: Trend | null;
  asOf: string;
}

export interface ScorePoint {
  asOf: string;
  score: number;
  color: HealthColor;
}

// --- rows and their mapping --------------------------------------------------------------------

type Nullable<T> = T | null;

export const COMPANY_COLUMNS = `c.company_id, c.name, c.external_id, c.industry, c.segment, c.lifecycle_stage, c.region, c.employees, c.arr,
  c.renewal_date, c.owner_id, u.name AS owner_name, u.email AS owner_email, c.health_score, c.health_color, c.health_as_of,
  c.open_cta_count, c.open_risk_cta_count, c.active_plan_count, c.activity_count, c.last_activity_at, c.created_at, c.updated_at`;
export const COMPANY_FROM = 'cs_companies c LEFT JOIN cs_users u ON u.user_id = c.owner_id';

export interface CompanyRow {
  company_id: string;
  name: string;
  external_id: Nullable<string>;
  industry: Nullable<string>;
  segment: Nullable<string>;
  lifecycle_stage: Nullable<string>;
  region: Nullable<string>;
  employees: Nullable<number>;
  arr: number;
  renewal_date: Nullable<string>;
  owner_id: Nullable<string>;
  owner_name: Nullable<string>;
  owner_email: Nullable<string>;
  health_score: Nullable<number>;
  health_color: Nullable<string>;
  health_as_of: Nullable<string>;
  open_cta_count: number;
  open_risk_cta_count: number;
  active_plan_count: number;
  activity_count: number;
  last_activity_at: Nullable<string>;
  created_at: string;
  updated_at: string;
}

export function toCompanyView(r: CompanyRow): CompanyView {
  return {
    companyId: r.company_id,
    name: r.name,
    externalId: r.external_id,
    industry: r.industry,
    segment: r.segment as Segment | null,
    lifecycleStage: r.lifecycle_stage as LifecycleStage | null,
    region: r.region,
    employees: num(r.employees),
    arr: Number(r.arr),
    renewalDate: r.renewal_date,
    ownerId: r.owner_id,
    ownerName: r.owner_name,
    ownerEmail: r.owner_email,
    healthScore: num(r.health_score),
    healthColor: r.health_color as HealthColor | null,
    healthAsOf: r.health_as_of,
    openCtaCount: Number(r.open_cta_count),
    openRiskCtaCount: Number(r.open_risk_cta_count),
    activePlanCount: Number(r.active_plan_count),
    activityCount: Number(r.activity_count),
    lastActivityAt: r.last_activity_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export const RELATIONSHIP_COLUMNS = 'r.relationship_id, r.company_id, r.name, r.type, r.arr, r.renewal_date, r.owner_id, r.created_at, r.updated_at';

export interface RelationshipRow {
  relationship_id: string;
  company_id: string;
  name: string;
  type: Nullable<string>;
  arr: number;
  renewal_date: Nullable<string>;
  owner_id: Nullable<string>;
  created_at: string;
  updated_at: string;
}

export function toRelationshipView(r: RelationshipRow): RelationshipView {
  return {
    relationshipId: r.relationship_id,
    companyId: r.company_id,
    name: r.name,
    type: r.type,
    arr: Number(r.arr),
    renewalDate: r.renewal_date,
    ownerId: r.owner_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export const CONTACT_COLUMNS = 'p.contact_id, p.company_id, p.name, p.email, p.title, p.role, p.sentiment, p.is_primary';

export interface ContactRow {
  contact_id: string;
  company_id: string;
  name: string;
  email: Nullable<string>;
  title: Nullable<string>;
  role: Nullable<string>;
  sentiment: string;
  is_primary: number | boolean;
}

export function toContactView(r: ContactRow): ContactView {
  return {
    contactId: r.contact_id,
    companyId: r.company_id,
    name: r.name,
    email: r.email,
    title: r.title,
    role: r.role,
    sentiment: r.sentiment as ContactSentiment,
    isPrimary: Number(r.is_primary) === 1,
  };
}

export const CTA_COLUMNS = `t.cta_id, t.company_id, c.name AS company_name, t.relationship_id, t.success_plan_id, t.name, t.type, t.priority,
  t.status, t.is_open, t.owner_id, t.due_date, t.reason, t.comments, t.created_at, t.updated_at, t.closed_at, t.task_count, t.open_task_count`;
export const CTA_FROM = 'cs_ctas t LEFT JOIN cs_companies c ON c.company_id = t.company_id';

export interface CtaRow {
  cta_id: string;
  company_id: string;
  company_name: Nullable<string>;
  relationship_id: Nullable<string>;
  success_plan_id: Nullable<string>;
  name: string;
  type: string;
  priority: string;
  status: string;
  is_open: number;
  owner_id: string;
  due_date: Nullable<string>;
  reason: Nullable<string>;
  comments: Nullable<string>;
  created_at: string;
  updated_at: string;
  closed_at: Nullable<string>;
  task_count: number;
  open_task_count: number;
}

export function toCtaView(r: CtaRow): CtaView {
  return {
    ctaId: r.cta_id,
    companyId: r.company_id,
    companyName: r.company_name,
    relationshipId: r.relationship_id,
    successPlanId: r.success_plan_id,
    name: r.name,
    type: r.type as CtaType,
    priority: r.priority as Priority,
    status: r.status as CtaStatus,
    isOpen: Number(r.is_open) === 1,
    ownerId: r.owner_id,
    dueDate: r.due_date,
    reason: r.reason,
    comments: r.comments,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    closedAt: r.closed_at,
    taskCount: Number(r.task_count),
    openTaskCount: Number(r.open_task_count),
  };
}

export const TASK_COLUMNS = 'k.task_id, k.cta_id, k.title, k.description, k.owner_id, k.due_date, k.priority, k.status, k.created_at';

export interface TaskRow {
  task_id: string;
  cta_id: string;
  title: string;
  description: Nullable<string>;
  owner_id: string;
  due_date: Nullable<string>;
  priority: string;
  status: string;
  created_at: string;
}

export function toTaskView(r: TaskRow): CtaTaskView {
  return {
    taskId: r.task_id,
    ctaId: r.cta_id,
    title: r.title,
    description: r.description,
    ownerId: r.owner_id,
    dueDate: r.due_date,
    priority: r.priority as Priority,
    status: r.status as TaskStatus,
    createdAt: r.created_at,
  };
}

export const PLAN_COLUMNS = `s.success_plan_id, s.company_id, c.name AS company_name, s.relationship_id, s.name, s.plan_type, s.status,
  s.owner_id, s.start_date, s.due_date, s.description, s.created_at, s.updated_at, s.closed_at, s.objective_count, s.open_objective_count`;
export const PLAN_FROM = 'cs_success_plans s LEFT JOIN cs_companies c ON c.company_id = s.company_id';

export interface PlanRow {
  success_plan_id: string;
  company_id: string;
  company_name: Nullable<string>;
  relationship_id: Nullable<string>;
  name: string;
  plan_type: Nullable<string>;
  status: string;
  owner_id: string;
  start_date: Nullable<string>;
  due_date: Nullable<string>;
  description: Nullable<string>;
  created_at: string;
  updated_at: string;
  closed_at: Nullable<string>;
  objective_count: number;
  open_objective_count: number;
}

export function toPlanView(r: PlanRow): SuccessPlanView {
  return {
    successPlanId: r.success_plan_id,
    companyId: r.company_id,
    companyName: r.company_name,
    relationshipId: r.relationship_id,
    name: r.name,
    planType: r.plan_type,
    status: r.status as SuccessPlanStatus,
    ownerId: r.owner_id,
    startDate: r.start_date,
    dueDate: r.due_date,
    description: r.description,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    closedAt: r.closed_at,
    objectiveCount: Number(r.objective_count),
    openObjectiveCount: Number(r.open_objective_count),
  };
}

export const ACTIVITY_COLUMNS = `a.activity_id, a.company_id, c.name AS company_name, a.context_kind, a.context_id, a.type, a.subject, a.notes,
  a.occurred_at, a.author_id, a.participants, a.created_at, a.updated_at`;
export const ACTIVITY_FROM = 'cs_timeline_activities a LEFT JOIN cs_companies c ON c.company_id = a.company_id';

export interface ActivityRow {
  activity_id: string;
  company_id: string;
  company_name: Nullable<string>;
  context_kind: string;
  context_id: string;
  type: string;
  subject: string;
  notes: Nullable<string>;
  occurred_at: string;
  author_id: string;
  participants: string;
  created_at: string;
  updated_at: string;
}

export function toActivityView(r: ActivityRow): TimelineActivityView {
  return {
    activityId: r.activity_id,
    companyId: r.company_id,
    companyName: r.company_name,
    context: { kind: r.context_kind as TimelineContextKind, id: r.context_id },
    type: r.type as TimelineActivityType,
    subject: r.subject,
    notes: r.notes,
    occurredAt: r.occurred_at,
    authorId: r.author_id,
    participants: parseList(r.participants),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface MeasureRow {
  name: string;
  score: number;
  color: string;
  comment: Nullable<string>;
  previous_score: Nullable<number>;
  trend: Nullable<string>;
  as_of: string;
}

export function toMeasureView(r: MeasureRow): ScorecardMeasureView {
  return {
    name: r.name,
    score: Number(r.score),
    color: r.color as HealthColor,
    comment: r.comment,
    previousScore: num(r.previous_score),
    trend: r.trend as Trend | null,
    asOf: r.as_of,
  };
}

export function trendOf(score: number, previous: number | null): Trend | null {
  if (previous === null) return null;
  return score > previous ? 'up' : score < previous ? 'down' : 'flat';
}

function num(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

function parseList(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}
