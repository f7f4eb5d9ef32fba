import type { DomainEvent } from '../shared/decider';
import type { TypedChange } from '../shared/changes';
import type { CtaStatus, CtaType, Priority, TaskStatus } from '../shared/values';

/** A CTA as its events describe it (tasks apart). Dates are YYYY-MM-DD, instants ISO 8601 UTC, absent = null. */
export type CtaFields = {
  ctaId: string;
  companyId: string;
  relationshipId: string | null;
  /** Set on Objective CTAs only: the success plan whose objective this is. */
  successPlanId: string | null;
  name: string;
  type: CtaType;
  priority: Priority;
  status: CtaStatus;
  ownerId: string;
  dueDate: string | null;
  reason: string | null;
  comments: string | null;
  createdAt: string;
  updatedAt: string;
  /** When the CTA was closed (ClosedSuccess, ClosedLost, ClosedInvalid); null while open. */
  closedAt: string | null;
};

export type CtaTask = {
  taskId: string;
  title: string;
  description: string | null;
  ownerId: string;
  dueDate: string | null;
  priority: Priority;
  status: TaskStatus;
  createdAt: string;
};

/** Fields an update may change; `closedAt` follows `status` and is never set directly. */
export const CTA_UPDATABLE_FIELDS = ['name', 'priority', 'status', 'ownerId', 'dueDate', 'reason', 'comments'] as const;
export type CtaUpdatableField = (typeof CTA_UPDATABLE_FIELDS)[number];
export type CtaFieldChange = TypedChange<CtaFields, CtaUpdatableField | 'closedAt'>;

export type CtaCreated = DomainEvent<'CtaCreated', Omit<CtaFields, 'updatedAt' | 'closedAt'>>;

export type CtaUpdated = DomainEvent<
  'CtaUpdated',
  {
    ctaId: string;
    /** Each changed field with its old and new value, in the order of CTA_UPDATABLE_FIELDS, closedAt last. */
    changes: CtaFieldChange[];
    updatedAt: string;
  }
>;

export type CtaTaskCreated = DomainEvent<'CtaTaskCreated', CtaTask & { ctaId: string }>;

export type CtaEvent = CtaCreated | CtaUpdated | CtaTaskCreated;
export type CtaEventType = CtaEvent['type'];
export const CTA_EVENT_TYPES: readonly CtaEventType[] = ['CtaCreated', 'CtaUpdated', 'CtaTaskCreated'];

/** One stream per CTA (its tasks included): `cta-<ctaId>`. */
export const CTA_STREAM_CATEGORY = 'cta';
export const ctaStreamName = (ctaId: string): string => `${CTA_STREAM_CATEGORY}-${ctaId}`;
