import type { JsonValue } from '@csmcp/event-store';
import type { DomainEvent } from '../shared/decider';
import type { FieldChange } from '../shared/values';

/**
 * Companies, relationships and contacts are reference data: written by admin import (CSV/JSON, the
 * seed), never by MCP. An import of a record that exists records only what changed.
 * Dates are YYYY-MM-DD, instants ISO 8601 UTC, absent = null.
 */

export const LIFECYCLE_STAGES = ['Onboarding', 'Adoption', 'Mature', 'Renewal', 'Expansion', 'AtRisk', 'Churned'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export const SEGMENTS = ['Enterprise', 'MidMarket', 'SMB'] as const;
export type Segment = (typeof SEGMENTS)[number];

export const CONTACT_SENTIMENTS = ['Positive', 'Neutral', 'Negative', 'Unknown'] as const;
export type ContactSentiment = (typeof CONTACT_SENTIMENTS)[number];

export type CompanyProfile = {
  companyId: string;
  name: string;
  /** The id in the system the data came from (CRM), for re-imports. */
  externalId: string | null;
  industry: string | null;
  segment: Segment | null;
  lifecycleStage: LifecycleStage | null;
  region: string | null;
  employees: number | null;
  /** Annual recurring revenue in the organisation's currency. */
  arr: number;
  renewalDate: string | null;
  ownerId: string | null;
};
export const COMPANY_PROFILE_FIELDS = [
  'name', 'externalId', 'industry', 'segment', 'lifecycleStage', 'region', 'employees', 'arr', 'renewalDate', 'ownerId',
] as const satisfies readonly (keyof CompanyProfile)[];

export type CompanyImported = DomainEvent<'CompanyImported', CompanyProfile & { importedAt: string }>;
export type CompanyProfileChanged = DomainEvent<
  'CompanyProfileChanged',
  { companyId: string; changes: FieldChange<(typeof COMPANY_PROFILE_FIELDS)[number], JsonValue>[]; changedAt: string }
>;

export type RelationshipProfile = {
  relationshipId: string;
  companyId: string;
  name: string;
  /** Business unit, product line, region...: the kind of relationship. */
  type: string | null;
  arr: number;
  renewalDate: string | null;
  ownerId: string | null;
};
export const RELATIONSHIP_PROFILE_FIELDS = ['name', 'type', 'arr', 'renewalDate', 'ownerId'] as const;

export type RelationshipImported = DomainEvent<'RelationshipImported', RelationshipProfile & { importedAt: string }>;
export type RelationshipProfileChanged = DomainEvent<
  'RelationshipProfileChanged',
  { relationshipId: string; companyId: string; changes: FieldChange<(typeof RELATIONSHIP_PROFILE_FIELDS)[number], JsonValue>[]; changedAt: string }
>;

export type ContactProfile = {
  contactId: string;
  companyId: string;
  name: string;
  email: string | null;
  title: string | null;
  /** Role in the account: Champion, Decision maker, Executive sponsor, User, ... */
  role: string | null;
  sentiment: ContactSentiment;
  isPrimary: boolean;
};
export const CONTACT_PROFILE_FIELDS = ['name', 'email', 'title', 'role', 'sentiment', 'isPrimary'] as const;

export type ContactImported = DomainEvent<'ContactImported', ContactProfile & { importedAt: string }>;
export type ContactProfileChanged = DomainEvent<
  'ContactProfileChanged',
  { contactId: string; companyId: string; changes: FieldChange<(typeof CONTACT_PROFILE_FIELDS)[number], JsonValue>[]; changedAt: string }
>;

export type CompanyEvent = CompanyImported | CompanyProfileChanged;
export type RelationshipEvent = RelationshipImported | RelationshipProfileChanged;
export type ContactEvent = ContactImported | ContactProfileChanged;

export const companyStream = (companyId: string) => `company-${companyId}`;
export const relationshipStream = (relationshipId: string) => `relationship-${relationshipId}`;
export const contactStream = (contactId: string) => `contact-${contactId}`;
