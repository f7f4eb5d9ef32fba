/**
 * The smallest store the fault specs need, set up with the CLI as an operator does: the admin
 * (the first user), `extra` CSMs, the demo book seeded over the first two CSMs' e-mail addresses,
 * and a cs:read cs:write token per CSM. Fewer CLI runs than seedBook: on a busy machine each one
 * costs seconds.
 */
import { demoCompany, demoUsers, type DemoOptions } from '../../../src/cli/commands/seed/demo-book';
import type { McpStore } from '../../support/mcp-stack';

export interface FaultPerson {
  readonly email: string;
  readonly token: string;
  /** The companies the seed gives this person (none for the extra users). */
  readonly companies: readonly string[];
}

export async function seedFaultBook(store: McpStore, options: { companies?: number; extraUsers?: number } = {}): Promise<FaultPerson[]> {
  const companies = options.companies ?? 12;
  const demo: DemoOptions = { companies, seed: 1, asOf: new Date().toISOString().slice(0, 10), activitiesPerCompany: 2 };
  const csms = demoUsers(demo).filter((u) => u.role === 'csm').slice(0, 2);
  const extra = Array.from({ length: options.extraUsers ?? 0 }, (_, i) => ({ email: `fault.user${i}@example.com`, name: `Fault User ${i}` }));
  await store.cli(['users', 'add', '--email', 'admin@example.com', '--name', 'Ada Admin', '--role', 'admin']);
  for (const u of [...csms, ...extra]) await store.cli(['users', 'add', '--email', u.email, '--name', u.name, '--role', 'csm']);
  await store.cli(['seed', 'demo', '--companies', String(companies), '--seed', '1', '--as-of', demo.asOf, '--activities', '2', '--json']);
  const book = Array.from({ length: companies }, (_, i) => demoCompany(demo, i, demoUsers(demo).filter((u) => u.role === 'csm')));
  const people = [...csms, ...extra];
  const tokens: string[] = [];
  // Two at a time: tokens are events, and the embedded store has one writer.
  for (let i = 0; i < people.length; i += 2)
    tokens.push(
      ...(await Promise.all(
        people.slice(i, i + 2).map(async (p) =>
          (JSON.parse(await store.cli(['tokens', 'issue', '--user', p.email, '--scopes', 'cs:read cs:write', '--ttl', '2h', '--json'])) as { token: string }).token,
        ),
      )),
    );
  return people.map((p, i) => ({ email: p.email, token: tokens[i], companies: book.filter((c) => c.ownerEmail === p.email).map((c) => c.companyId) }));
}
