/**
 * End to end through Nest: the ReadModelsModule registers its projections, the infrastructure runs
 * them live, and the queries answer on the QueryBus, reading their own writes with `after`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test, type TestingModule } from '@nestjs/testing';
import { CqrsModule, QueryBus } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import { DATABASE_URL, dropSchema, freshSchemaName } from '../../../libs/projections/test/support/postgres';
import type { AppConfig } from '../../config/config';
import { handleCommand } from '../../infrastructure/aggregate-store';
import { InfrastructureModule, ProjectionHost } from '../../infrastructure/infrastructure.module';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { companyStream } from '../companies/company.events';
import { ctaDecider } from '../ctas/cta.decider';
import { ctaStreamName } from '../ctas/cta.events';
import { GetCompanyQuery } from '../queries/get-company/get-company.query';
import { GetCtaQuery } from '../queries/get-cta/get-cta.query';
import { ListCtasQuery } from '../queries/list-ctas/list-ctas.query';
import { SearchCompaniesQuery } from '../queries/search-companies/search-companies.query';
import { QueryError } from '../queries/shared/query-error';
import type { ViewerScope } from '../queries/shared/viewer';
import { ReadModelsModule } from './read-models.module';

const ALICE: ViewerScope = { userId: 'alice', visibleOwnerIds: ['alice'] };
const BOB: ViewerScope = { userId: 'bob', visibleOwnerIds: ['bob'] };

describe.each(['sqlite', 'postgres'] as const)('ReadModelsModule on the QueryBus (%s read models)', (kind) => {
  const dir = mkdtempSync(join(tmpdir(), 'csmcp-read-models-module-'));
  const schema = freshSchemaName('csmcp_read_models_module');
  let moduleRef: TestingModule;
  let queryBus: QueryBus;
  let store: EventStore;

  beforeAll(async () => {
    const config: AppConfig = {
      port: 0,
      host: '127.0.0.1',
      dataDir: dir,
      logLevel: 'silent',
      eventStore: { kind: 'sqlite', filename: join(dir, 'events.db') },
      readModels: kind === 'sqlite' ? { kind: 'sqlite', filename: join(dir, 'read-models.db') } : { kind: 'postgres', connectionString: DATABASE_URL, schema },
      publicUrl: null,
      allowedOrigins: [],
    };
    moduleRef = await Test.createTestingModule({
      imports: [CqrsModule.forRoot(), InfrastructureModule.forRoot(config, { runProjections: true }), ReadModelsModule],
    }).compile();
    moduleRef.useLogger(false);
    await moduleRef.init();
    queryBus = moduleRef.get(QueryBus);
    store = moduleRef.get<EventStore>(EVENT_STORE);
  });

  afterAll(async () => {
    await moduleRef?.close();
    if (kind === 'postgres') await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers both projections with the runner the host starts', () => {
    expect(moduleRef.get(ProjectionHost).runner.status().map((s) => s.name)).toEqual(['customer_success', 'users']);
  });

  it('answers a read right after a write, waiting for its position rather than sleeping', async () => {
    const { position } = await store.appendToStream(
      companyStream('acme'),
      [
        {
          type: 'CompanyImported',
          data: {
            companyId: 'acme', name: 'Acme Corp', externalId: null, industry: null, segment: 'SMB', lifecycleStage: null, region: null,
            employees: null, arr: 1000, renewalDate: '2025-09-30', ownerId: 'alice', importedAt: '2025-01-01T00:00:00.000Z',
          },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    const company = await queryBus.execute(new GetCompanyQuery(ALICE, { companyId: 'acme', after: position }));
    expect(company).toMatchObject({ companyId: 'acme', name: 'Acme Corp', relationships: [], contacts: [] });

    const written = await handleCommand(
      store,
      ctaStreamName('cta-1'),
      ctaDecider,
      { type: 'CreateCta', data: { ctaId: 'cta-1', companyId: 'acme', name: 'Renewal risk', type: 'Risk', ownerId: 'alice' }, metadata: { now: '2025-02-01T10:00:00Z' } },
      { metadata: { actor: { type: 'user', id: 'alice' } } },
    );
    const after = written.append!.position;
    const page = await queryBus.execute(new ListCtasQuery(ALICE, { companyId: 'acme', after }));
    expect(page.items.map((c) => c.ctaId)).toEqual(['cta-1']);
    expect(await queryBus.execute(new GetCtaQuery(ALICE, { ctaId: 'cta-1' }))).toMatchObject({ name: 'Renewal risk', tasks: [] });
    expect((await queryBus.execute(new SearchCompaniesQuery(ALICE, { text: 'acme' }))).items[0]).toMatchObject({ openCtaCount: 1, openRiskCtaCount: 1 });
  });

  it('keeps another owner out, with a coded error on the bus', async () => {
    const error = await queryBus.execute(new GetCompanyQuery(BOB, { companyId: 'acme' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect(error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await queryBus.execute(new ListCtasQuery(BOB, {}))).items).toEqual([]);
  });
});
