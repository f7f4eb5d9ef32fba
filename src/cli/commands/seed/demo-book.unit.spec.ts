import { colorOf } from '../../../customer-success/scorecards/scorecard.events';
import { companyName, demoCompany, demoScript, demoUsers, type DemoOptions } from './demo-book';
import { Random } from './random';

const options: DemoOptions = { companies: 2_000, seed: 7, asOf: '2025-06-01', activitiesPerCompany: 20 };
const csms = demoUsers(options).filter((u) => u.role === 'csm');
const book = Array.from({ length: options.companies }, (_, i) => demoCompany(options, i, csms));
const share = (n: number) => n / book.length;

describe('the demo book', () => {
  it('is the same for the same seed, and another for another seed', () => {
    expect(demoCompany(options, 42, csms)).toEqual(book[42]);
    expect(demoScript(options, book[42])).toEqual(demoScript(options, demoCompany(options, 42, csms)));
    expect(demoCompany({ ...options, seed: 8 }, 42, csms).row).not.toEqual(book[42].row);
    expect(new Random(1).next()).toBe(new Random(1).next());
  });

  it('has an admin and about one CSM per 250 companies, with unique emails', () => {
    const users = demoUsers({ ...options, companies: 50_000 });
    expect(users[0]).toEqual({ email: 'admin@example.com', name: 'Ada Admin', role: 'admin' });
    expect(users.filter((u) => u.role === 'csm')).toHaveLength(200);
    expect(new Set(users.map((u) => u.email)).size).toBe(users.length);
  });

  it('gives companies unique names, segments, ARR by segment and renewals over the next 18 months', () => {
    expect(new Set(Array.from({ length: 50_000 }, (_, i) => companyName(7, i))).size).toBe(50_000);
    const bySegment = (s: string) => book.filter((c) => c.row.segment === s);
    expect(share(bySegment('SMB').length)).toBeCloseTo(0.5, 1);
    expect(share(bySegment('Enterprise').length)).toBeCloseTo(0.15, 1);
    expect(Math.max(...bySegment('SMB').map((c) => c.row.arr as number))).toBeLessThanOrEqual(60_000);
    expect(Math.min(...bySegment('Enterprise').map((c) => c.row.arr as number))).toBeGreaterThanOrEqual(300_000);
    const renewals = book.map((c) => c.renewalDate).sort();
    expect(renewals[0] > '2025-06-01').toBe(true);
    expect(renewals.at(-1)! <= '2026-12-01').toBe(true);
  });

  it('spreads health about 20% red, 30% yellow, 50% green, with 3-6 months of scorecards ending in that color', () => {
    const count = (color: string) => share(book.filter((c) => c.health === color).length);
    expect(count('Red')).toBeCloseTo(0.2, 1);
    expect(count('Yellow')).toBeCloseTo(0.3, 1);
    expect(count('Green')).toBeCloseTo(0.5, 1);
    for (const company of book) {
      expect(company.scorecards.length).toBeGreaterThanOrEqual(3);
      expect(company.scorecards.length).toBeLessThanOrEqual(6);
      const last = company.scorecards.at(-1)!;
      expect(last.as_of).toBe('2025-05-31');
      expect(colorOf(last.overall_score as number)).toBe(company.health);
      expect(company.contacts.length).toBeGreaterThanOrEqual(2);
      expect(company.contacts.length).toBeLessThanOrEqual(4);
    }
  });

  it('scripts each company in time order, before the day the book is as of, naming only records made before', () => {
    let activities = 0;
    const ctas = new Map<string, { due: string; closed: boolean }>();
    for (const company of book.slice(0, 300)) {
      const steps = demoScript(options, company);
      const made = new Set<string>();
      let previous = 0;
      for (const step of steps) {
        expect(step.at).toBeGreaterThanOrEqual(previous);
        expect(step.at).toBeLessThan(Date.parse('2025-06-01T00:00:00Z'));
        previous = step.at;
        for (const key of [
          'cta' in step ? step.cta : null,
          'plan' in step ? step.plan : null,
          step.tool === 'create_timeline_activity' ? step.context?.key : null,
        ])
          if (key) expect(made.has(key)).toBe(true);
        if ('key' in step) made.add(step.key);
        if (step.tool === 'create_timeline_activity') {
          activities++;
          expect(Date.parse(step.input.occurred_at as string)).toBeLessThanOrEqual(step.at);
          expect(step.input.occurred_at as string >= '2024-06-01').toBe(true);
        }
        if (step.tool === 'create_cta') ctas.set(`${company.companyId}/${step.key}`, { due: step.input.due_date as string, closed: false });
        if (step.tool === 'update_cta' && String(step.input.status).startsWith('Closed')) ctas.get(`${company.companyId}/${step.cta}`)!.closed = true;
      }
    }
    expect(activities / 300).toBeGreaterThan(15);
    expect(activities / 300).toBeLessThan(25);
    const all = [...ctas.values()];
    const closed = all.filter((c) => c.closed).length / all.length;
    const overdue = all.filter((c) => !c.closed && c.due < '2025-06-01').length / all.length;
    expect(closed).toBeGreaterThan(0.3);
    expect(closed).toBeLessThan(0.7);
    expect(overdue).toBeGreaterThan(0.05);
    expect(overdue).toBeLessThan(0.25);
  });
});
