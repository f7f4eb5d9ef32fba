import { colorOf, type HealthColor } from '../../../customer-success/scorecards/scorecard.events';
import { Random } from './random';
import * as W from './demo-words';

/**
 * A demo book of business, as data: the users, the rows the admin import commands take, and per
 * company a script of the MCP writes a CSM would have made over the last year. Everything is a pure
 * function of (options, index): the same seed, size and day always give the same book, and a company
 * can be generated on its own (the seed streams 50,000 of them without holding them all).
 */

export interface DemoOptions {
  readonly companies: number;
  readonly seed: number;
  /** The day the book is "as of" (YYYY-MM-DD): history lies before it, renewals after. */
  readonly asOf: string;
  /** About this many timeline activities per company (each company gets 50% to 150% of it). */
  readonly activitiesPerCompany: number;
}

export interface DemoUser {
  readonly email: string;
  readonly name: string;
  readonly role: 'admin' | 'csm';
}

export interface DemoCompany {
  readonly index: number;
  readonly companyId: string;
  readonly ownerEmail: string;
  readonly health: HealthColor;
  readonly renewalDate: string;
  /** A row of `import companies`. */
  readonly row: Record<string, unknown>;
  readonly relationships: ReadonlyArray<Record<string, unknown>>;
  readonly contacts: ReadonlyArray<Record<string, unknown> & { email: string }>;
  /** Readings for RecordScorecard, oldest first. */
  readonly scorecards: ReadonlyArray<Record<string, unknown>>;
}

/** One MCP write of a company's script; `key`s name records created earlier in the same script. */
export type DemoStep =
  | { readonly at: number; readonly tool: 'create_success_plan'; readonly key: string; readonly input: Record<string, unknown> }
  | { readonly at: number; readonly tool: 'update_success_plan'; readonly plan: string; readonly input: Record<string, unknown> }
  | { readonly at: number; readonly tool: 'create_cta'; readonly key: string; readonly plan?: string; readonly input: Record<string, unknown> }
  | { readonly at: number; readonly tool: 'update_cta'; readonly cta: string; readonly input: Record<string, unknown> }
  | { readonly at: number; readonly tool: 'create_cta_task'; readonly cta: string; readonly input: Record<string, unknown> }
  | {
      readonly at: number;
      readonly tool: 'create_timeline_activity';
      readonly context?: { readonly kind: 'cta' | 'success_plan'; readonly key: string };
      readonly input: Record<string, unknown>;
    };

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

export const ADMIN: DemoUser = { email: 'admin@example.com', name: 'Ada Admin', role: 'admin' };

export const demoCompanyId = (index: number) => `demo-${String(index + 1).padStart(6, '0')}`;

/** ~1 CSM per 250 companies (at least 2), and one admin first. */
export function demoUsers(options: DemoOptions): DemoUser[] {
  const count = Math.max(2, Math.round(options.companies / 250));
  const combos = W.FIRST_NAMES.length * W.LAST_NAMES.length;
  const users: DemoUser[] = [ADMIN];
  for (let i = 0; i < count; i++) {
    // A stride coprime with the number of combinations walks through all of them before repeating.
    const k = (i * 7 + options.seed) % combos;
    const first = W.FIRST_NAMES[k % W.FIRST_NAMES.length];
    const last = W.LAST_NAMES[Math.floor(k / W.FIRST_NAMES.length)];
    const round = Math.floor(i / combos);
    const local = `${first}.${last}${round > 0 ? round + 1 : ''}`.toLowerCase();
    users.push({ email: `${local}@example.com`, name: `${first} ${last}`, role: 'csm' });
  }
  return users;
}

export function demoCompany(options: DemoOptions, index: number, csms: readonly DemoUser[]): DemoCompany {
  const r = Random.for(options.seed, 'company', index);
  const anchor = Date.parse(`${options.asOf}T00:00:00Z`);
  const companyId = demoCompanyId(index);
  const name = companyName(options.seed, index);
  const segment = r.weighted([
    ['SMB', 50],
    ['MidMarket', 35],
    ['Enterprise', 15],
  ] as const);
  const [employeesRange, arrRange] = {
    SMB: [[10, 200], [5_000, 60_000]],
    MidMarket: [[200, 2_000], [60_000, 300_000]],
    Enterprise: [[2_000, 100_000], [300_000, 3_000_000]],
  }[segment] as [[number, number], [number, number]];
  const health = r.weighted([
    ['Red', 20],
    ['Yellow', 30],
    ['Green', 50],
  ] as const);
  const lifecycle = r.weighted(
    {
      Red: [['AtRisk', 55], ['Renewal', 15], ['Adoption', 15], ['Onboarding', 10], ['Churned', 5]],
      Yellow: [['Adoption', 30], ['Mature', 25], ['Renewal', 20], ['Onboarding', 15], ['AtRisk', 10]],
      Green: [['Mature', 45], ['Expansion', 25], ['Adoption', 20], ['Renewal', 10]],
    }[health] as Array<[string, number]>,
  );
  const owner = r.pick(csms);
  const arr = Math.round(r.logBetween(...arrRange) / 100) * 100;
  const renewalDate = day(anchor + r.int(1, 548) * DAY);
  const region = r.weighted(W.REGIONS);
  const row = {
    company_id: companyId,
    name,
    external_id: `CRM-${100000 + index}`,
    industry: r.pick(W.INDUSTRIES),
    segment,
    lifecycle_stage: lifecycle,
    region,
    employees: Math.round(r.logBetween(...employeesRange)),
    arr,
    renewal_date: renewalDate,
    owner_email: owner.email,
  };

  const relationshipCount = r.chance({ SMB: 0.05, MidMarket: 0.25, Enterprise: 0.7 }[segment]) ? r.int(1, segment === 'Enterprise' ? 3 : 2) : 0;
  const relationships = r.sample(W.RELATIONSHIP_UNITS, relationshipCount).map(([unit, type], j) => ({
    relationship_id: `${companyId}-r${j + 1}`,
    company_id: companyId,
    name: `${name} ${unit}`,
    type,
    arr: Math.round((arr / (relationshipCount + 1)) / 100) * 100,
    renewal_date: renewalDate,
    owner_email: owner.email,
  }));

  const domain = `${name.split(' ').slice(0, 2).join('').toLowerCase().replace(/[^a-z0-9]/g, '')}.example`;
  const sentiment = {
    Red: [['Negative', 45], ['Neutral', 35], ['Positive', 10], ['Unknown', 10]],
    Yellow: [['Neutral', 45], ['Positive', 25], ['Negative', 15], ['Unknown', 15]],
    Green: [['Positive', 60], ['Neutral', 25], ['Unknown', 15]],
  }[health] as Array<[string, number]>;
  const people = new Set<string>();
  const contacts = Array.from({ length: r.int(2, 4) }, (_, j) => {
    let first = r.pick(W.FIRST_NAMES);
    let last = r.pick(W.LAST_NAMES);
    while (people.has(`${first} ${last}`)) [first, last] = [r.pick(W.FIRST_NAMES), r.pick(W.LAST_NAMES)];
    people.add(`${first} ${last}`);
    return {
      contact_id: `${companyId}-p${j + 1}`,
      company_id: companyId,
      name: `${first} ${last}`,
      email: `${first}.${last}@${domain}`.toLowerCase(),
      title: r.pick(W.CONTACT_TITLES),
      role: j === 0 ? 'Champion' : r.pick(W.CONTACT_ROLES),
      sentiment: r.weighted(sentiment),
      is_primary: j === 0,
    };
  });

  return {
    index,
    companyId,
    ownerEmail: owner.email,
    health,
    renewalDate,
    row,
    relationships,
    contacts,
    scorecards: scorecardHistory(r, companyId, health, anchor),
  };
}

/** Unique names: a permutation of first x second words, then a suffix per round through them. */
export function companyName(seed: number, index: number): string {
  const combos = W.NAME_FIRST.length * W.NAME_SECOND.length;
  const k = (index * 1031 + seed * 7) % combos;
  const base = `${W.NAME_FIRST[k % W.NAME_FIRST.length]} ${W.NAME_SECOND[Math.floor(k / W.NAME_FIRST.length)]}`;
  const round = Math.floor(index / combos);
  const suffixes = W.NAME_SUFFIX.filter((s) => s !== '');
  if (round === 0) return base;
  return round <= suffixes.length ? `${base} ${suffixes[round - 1]}` : `${base} ${round - suffixes.length + 1}`;
}

/** 3-6 month-end readings, ending in the company's health color now; red accounts were better before. */
function scorecardHistory(r: Random, companyId: string, health: HealthColor, anchor: number): Array<Record<string, unknown>> {
  const band = { Red: [12, 39], Yellow: [40, 69], Green: [70, 97] }[health];
  const current = r.int(band[0], band[1]);
  const trend = health === 'Red' ? r.between(3, 9) : health === 'Yellow' ? r.between(-3, 5) : r.between(-4, 2);
  const measures = r.sample(W.MEASURES, r.int(3, 5)).map((name) => ({ name, offset: r.normal(0, 10) }));
  const months = r.int(3, 6);
  const readings: Array<Record<string, unknown>> = [];
  for (let k = months - 1; k >= 0; k--) {
    const overall = k === 0 ? current : clampScore(current + trend * k + r.normal(0, 3));
    readings.push({
      company_id: companyId,
      as_of: monthEnd(anchor, k + 1),
      overall_score: overall,
      measures: measures.map((m) => {
        const score = clampScore(overall + m.offset + r.normal(0, 5));
        return { name: m.name, score, ...(r.chance(0.1) ? { comment: r.pick(W.MEASURE_COMMENTS[colorOf(score)]) } : {}) };
      }),
    });
  }
  return readings;
}

/** The MCP writes of one company's year, in the order they happened. */
export function demoScript(options: DemoOptions, company: DemoCompany): DemoStep[] {
  const r = Random.for(options.seed, 'script', company.index);
  const anchor = Date.parse(`${options.asOf}T00:00:00Z`);
  const steps: DemoStep[] = [];
  const ctaCreated: Array<{ key: string; at: number }> = [];
  const planCreated: Array<{ key: string; at: number }> = [];
  const before = (at: number) => Math.min(at, anchor - MINUTE);

  // Success plan with its objectives (Objective CTAs); some finished ones completed.
  if (r.chance(0.4)) {
    const at = anchor - r.int(20, 300) * DAY - r.int(0, 10) * HOUR;
    const start = day(at);
    const dueMs = at + r.int(60, 240) * DAY;
    const status = r.chance(0.7) ? 'Active' : 'Draft';
    const plan = 'p0';
    steps.push({
      at,
      tool: 'create_success_plan',
      key: plan,
      input: {
        company_id: company.companyId,
        name: `${r.pick(W.PLAN_NAMES)} ${start.slice(0, 4)}`,
        status,
        start_date: start,
        due_date: day(dueMs),
        description: 'Agreed with the champion in the last business review.',
      },
    });
    planCreated.push({ key: plan, at });
    const finishes = status === 'Active' && dueMs + 5 * DAY < anchor && r.chance(0.6);
    const objectives = r.sample(W.OBJECTIVES, r.int(1, 3));
    let lastClose = at;
    objectives.forEach((name, j) => {
      const key = `o${j}`;
      const createdAt = at + r.int(1, 5) * DAY + r.int(0, 8) * HOUR;
      const objectiveDue = Math.min(dueMs, createdAt + r.int(20, 120) * DAY);
      steps.push({
        at: createdAt,
        tool: 'create_cta',
        key,
        plan,
        input: { company_id: company.companyId, name, type: 'Objective', priority: 'Medium', due_date: day(objectiveDue) },
      });
      if (finishes) {
        const closeAt = Math.max(createdAt + HOUR, dueMs - r.int(0, 10) * DAY);
        lastClose = Math.max(lastClose, closeAt);
        steps.push({ at: closeAt, tool: 'update_cta', cta: key, input: { status: r.chance(0.8) ? 'ClosedSuccess' : 'ClosedLost' } });
      } else if (objectiveDue < anchor && r.chance(0.7)) {
        // An objective of a running plan reached on time.
        const closeAt = Math.min(Math.max(createdAt + HOUR, objectiveDue - r.int(0, 10) * DAY), anchor - HOUR);
        steps.push({ at: closeAt, tool: 'update_cta', cta: key, input: { status: 'ClosedSuccess' } });
      }
    });
    if (finishes) steps.push({ at: before(Math.max(lastClose + HOUR, dueMs + r.int(1, 5) * DAY)), tool: 'update_success_plan', plan, input: { status: 'Completed' } });
  }

  // CTAs: more, and riskier, for unhealthy accounts; a renewal CTA inside the renewal window.
  type CtaKind = keyof typeof W.CTA_NAMES;
  const kinds: CtaKind[] = [];
  const count = { Red: r.int(2, 4), Yellow: r.int(1, 3), Green: r.int(0, 2) }[company.health];
  const typeWeights = {
    Red: [['Risk', 70], ['Lifecycle', 10], ['Activity', 10], ['Renewal', 10]],
    Yellow: [['Risk', 35], ['Lifecycle', 25], ['Activity', 25], ['Expansion', 15]],
    Green: [['Expansion', 45], ['Lifecycle', 25], ['Activity', 30]],
  }[company.health] as Array<[CtaKind, number]>;
  for (let i = 0; i < count; i++) kinds.push(r.weighted(typeWeights));
  const renewalMs = Date.parse(`${company.renewalDate}T00:00:00Z`);
  if (renewalMs - anchor <= 120 * DAY) kinds.push('Renewal');
  kinds.forEach((type, i) => {
    const key = `c${i}`;
    const renewal = type === 'Renewal' && i === kinds.length - 1 && renewalMs - anchor <= 120 * DAY;
    const at = renewal ? Math.max(anchor - 30 * DAY, renewalMs - 120 * DAY) + r.int(0, 23) * HOUR : anchor - r.int(1, 180) * DAY - r.int(0, 23) * HOUR;
    const dueMs = renewal ? renewalMs - 30 * DAY : at + r.int(7, 60) * DAY;
    const relationship = company.relationships.length > 0 && r.chance(0.2) ? r.pick(company.relationships) : null;
    steps.push({
      at: before(at),
      tool: 'create_cta',
      key,
      input: {
        company_id: company.companyId,
        ...(relationship ? { relationship_id: relationship.relationship_id } : {}),
        name: r.pick(W.CTA_NAMES[type]),
        type,
        priority:
          type === 'Risk'
            ? r.weighted([['High', 40], ['Urgent', 20], ['Medium', 30], ['Low', 10]] as const)
            : r.weighted([['Medium', 50], ['Low', 25], ['High', 20], ['Urgent', 5]] as const),
        ...(r.chance(0.35) ? { status: 'WorkInProgress' } : {}),
        due_date: day(Math.max(dueMs, at)),
        reason: r.pick(W.CTA_REASONS[type]),
      },
    });
    ctaCreated.push({ key, at: before(at) });
    let last = before(at);
    for (let t = r.int(0, 3); t > 0; t--) {
      const taskAt = before(at + r.int(1, 72) * HOUR);
      last = Math.max(last, taskAt);
      steps.push({
        at: taskAt,
        tool: 'create_cta_task',
        cta: key,
        input: {
          title: r.pick(W.TASK_TITLES),
          due_date: day(at + r.int(3, 30) * DAY),
          status: r.weighted([['Open', 50], ['InProgress', 20], ['Completed', 30]] as const),
        },
      });
    }
    // Most CTAs past their due date were closed around it; the rest are overdue.
    const closeAt = Math.min(Math.max(last + HOUR, dueMs + r.int(-5, 10) * DAY), anchor - r.int(1, 48) * HOUR);
    if (dueMs < anchor && closeAt > last && r.chance(0.85))
      steps.push({
        at: closeAt,
        tool: 'update_cta',
        cta: key,
        input: { status: r.weighted([['ClosedSuccess', 60], ['ClosedLost', 25], ['ClosedInvalid', 15]] as const) },
      });
    else if (r.chance(0.3)) steps.push({ at: before(last + r.int(1, 10) * DAY), tool: 'update_cta', cta: key, input: { priority: 'High', comments: 'Raised after the last call.' } });
  });

  // Timeline: calls, meetings, emails, updates and milestones over the last year.
  const activities = options.activitiesPerCompany === 0 ? 0 : r.int(Math.round(options.activitiesPerCompany * 0.5), Math.round(options.activitiesPerCompany * 1.5));
  const emails = company.contacts.map((c) => c.email);
  for (let i = 0; i < activities; i++) {
    const occurred = anchor - r.int(0, 364) * DAY - r.int(1, 23) * HOUR - r.int(0, 59) * MINUTE;
    const type = r.weighted([['Email', 30], ['Call', 25], ['Meeting', 20], ['Update', 20], ['Milestone', 5]] as const);
    const ctas = ctaCreated.filter((c) => c.at < occurred);
    const plans = planCreated.filter((p) => p.at < occurred);
    const where = r.next();
    const context =
      where < 0.2 && ctas.length > 0
        ? ({ kind: 'cta', key: r.pick(ctas).key } as const)
        : where < 0.3 && plans.length > 0
          ? ({ kind: 'success_plan', key: r.pick(plans).key } as const)
          : undefined;
    const relationship = !context && where > 0.9 && company.relationships.length > 0 ? r.pick(company.relationships) : null;
    const notes = r.pick(W.ACTIVITY_NOTES);
    steps.push({
      at: Math.min(occurred + r.int(1, 120) * MINUTE, anchor - MINUTE),
      tool: 'create_timeline_activity',
      ...(context ? { context } : {}),
      input: {
        company_id: company.companyId,
        ...(relationship ? { context_kind: 'relationship', context_id: relationship.relationship_id } : {}),
        type,
        subject: r.pick(W.ACTIVITY_SUBJECTS[type]),
        ...(notes ? { notes } : {}),
        occurred_at: new Date(occurred).toISOString(),
        participants: type === 'Update' || type === 'Milestone' ? [] : [company.ownerEmail, ...r.sample(emails, r.int(1, 2))],
      },
    });
  }

  // Stable sort: a record's creation comes before what follows it even at the same instant.
  return steps.map((s, i) => [s, i] as const).sort((a, b) => a[0].at - b[0].at || a[1] - b[1]).map(([s]) => s);
}

function clampScore(value: number): number {
  return Math.max(1, Math.min(99, Math.round(value)));
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The last day of the month `monthsBack` months before the anchor's month. */
function monthEnd(anchor: number, monthsBack: number): string {
  const d = new Date(anchor);
  return day(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - monthsBack + 1, 0));
}
