import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { Client } from 'pg';
import type { EventStore } from '@csmcp/event-store';
import { AppModule } from '../../src/app.module';
import { loadConfig, type AppConfig } from '../../src/config/config';
import type { WriteCaller, WriteContext } from '../../src/customer-success/write/write-context';
import { ProjectionHost } from '../../src/infrastructure/infrastructure.module';
import { EVENT_STORE } from '../../src/infrastructure/tokens';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export type StoreKind = 'sqlite' | 'postgres';

/** The whole application (command bus, policy, store, projections, queries) on a fresh store. */
export interface AppHarness {
  readonly app: INestApplicationContext;
  readonly store: EventStore;
  readonly commands: CommandBus;
  readonly queries: QueryBus;
  readonly projections: ProjectionHost;
  close(): Promise<void>;
}

export async function startApp(kind: StoreKind, options: { runProjections?: boolean } = {}): Promise<AppHarness> {
  let config: AppConfig;
  let cleanup: () => Promise<void>;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'csmcp-app-'));
    config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const schema = `app_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    config = loadConfig({ DATABASE_URL, DATABASE_SCHEMA: schema, LOG_LEVEL: 'silent' });
    cleanup = async () => {
      const client = new Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    };
  }
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(config, { server: false })],
  }).compile();
  const app = await moduleRef.init();
  const projections = app.get(ProjectionHost);
  if (options.runProjections) await projections.runner.start();
  return {
    app,
    store: app.get<EventStore>(EVENT_STORE),
    commands: app.get(CommandBus),
    queries: app.get(QueryBus),
    projections,
    close: async () => {
      await app.close();
      await cleanup();
    },
  };
}

export function caller(overrides: Partial<WriteCaller> = {}): WriteCaller {
  return {
    userId: 'u-ann',
    email: 'ann@example.com',
    role: 'csm',
    accessContext: 'shared',
    integrationId: 'claude',
    integrationName: 'Claude',
    visibleOwnerIds: null,
    ...overrides,
  };
}

export function context(toolName: string, overrides: { caller?: Partial<WriteCaller>; key?: string; now?: Date } = {}): WriteContext {
  return {
    caller: caller(overrides.caller),
    request: {
      toolName,
      mcpSessionId: 'session-1',
      mcpRequestId: 7,
      correlationId: randomUUID(),
      sourceIp: '203.0.113.9',
      idempotencyKey: overrides.key ?? null,
    },
    ...(overrides.now ? { now: overrides.now } : {}),
  };
}

/** Reference data the way an import writes it (its own commands are tested elsewhere). */
export async function givenReferenceData(store: EventStore): Promise<void> {
  const user = (userId: string, email: string, role: string) =>
    store.appendToStream(`user-${userId}`, [{ type: 'UserRegistered', data: { userId, email, name: email, role, registeredAt: '2026-01-01T00:00:00.000Z' } }], {
      expectedRevision: 'no_stream',
    });
  await user('u-ann', 'ann@example.com', 'csm');
  await user('u-bob', 'bob@example.com', 'csm');
  await user('u-vic', 'vic@example.com', 'viewer');
  const company = (companyId: string, name: string, ownerId: string) =>
    store.appendToStream(
      `company-${companyId}`,
      [
        {
          type: 'CompanyImported',
          data: {
            companyId, name, externalId: null, industry: 'Software', segment: 'Enterprise', lifecycleStage: 'Adoption', region: 'EMEA',
            employees: 500, arr: 120000, renewalDate: '2027-03-31', ownerId, importedAt: '2026-01-01T00:00:00.000Z',
          },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
  await company('c-acme', 'Acme', 'u-ann');
  await company('c-globex', 'Globex', 'u-bob');
  await store.appendToStream(
    'relationship-r-acme-eu',
    [{ type: 'RelationshipImported', data: { relationshipId: 'r-acme-eu', companyId: 'c-acme', name: 'Acme EU', type: 'Region', arr: 50000, renewalDate: null, ownerId: 'u-ann', importedAt: '2026-01-01T00:00:00.000Z' } }],
    { expectedRevision: 'no_stream' },
  );
}
