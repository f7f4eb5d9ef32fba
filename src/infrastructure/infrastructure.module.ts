import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { EventStore } from '@csmcp/event-store';
import { ProjectionRunner, type ReadModelDatabase } from '@csmcp/projections';
import type { AppConfig } from '../config/config';
import { ProjectionRegistry } from './projection-registry';
import { openEventStore, openReadModelDatabase } from './stores';
import { APP_CONFIG, EVENT_STORE, READ_MODEL_DB } from './tokens';

export interface InfrastructureOptions {
  /** The server runs projections; one-shot CLI commands usually do not. */
  readonly runProjections: boolean;
}

const RUNNER_OPTIONS = Symbol('RUNNER_OPTIONS');

/**
 * Owns the projection runner: built once every module has registered its projections (so lazily, on
 * first use after module init), started at bootstrap by the server, and closed in order at shutdown.
 */
@Injectable()
export class ProjectionHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Projections');
  private instance: ProjectionRunner | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODEL_DB) private readonly db: ReadModelDatabase,
    @Inject(RUNNER_OPTIONS) private readonly options: InfrastructureOptions,
    private readonly registry: ProjectionRegistry,
  ) {}

  get runner(): ProjectionRunner {
    if (this.instance) return this.instance;
    const logger = this.logger;
    this.instance = new ProjectionRunner({
      store: this.store,
      db: this.db,
      projections: this.registry.all(),
      logger: {
        info: (obj, msg) => logger.log({ ...obj, msg }),
        warn: (obj, msg) => logger.warn({ ...obj, msg }),
        error: (obj, msg) => logger.error({ ...obj, msg }),
      },
    });
    return this.instance;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.runProjections) await this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.instance?.stop();
    await this.db.close();
    await this.store.close();
  }
}

@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(config: AppConfig, options: InfrastructureOptions): DynamicModule {
    return {
      module: InfrastructureModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: RUNNER_OPTIONS, useValue: options },
        { provide: EVENT_STORE, useFactory: () => openEventStore(config.eventStore) },
        { provide: READ_MODEL_DB, useFactory: () => openReadModelDatabase(config.readModels) },
        ProjectionRegistry,
        ProjectionHost,
      ],
      exports: [APP_CONFIG, EVENT_STORE, READ_MODEL_DB, ProjectionRegistry, ProjectionHost],
    };
  }
}
