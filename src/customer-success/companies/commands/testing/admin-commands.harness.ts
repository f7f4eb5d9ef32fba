import type { DynamicModule } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { CommandBus, CqrsModule } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import { SqliteEventStore } from '@csmcp/event-store/sqlite/sqlite-event-store';
import { EVENT_STORE } from '../../../../infrastructure/tokens';
import { RegisterUserCommand } from '../../../../users/commands/register-user/register-user.command';
import type { AdminContext } from '../admin-context';
import type { ImportRow } from '../import-batch';
import { ReferenceDataModule } from '../reference-data.module';

/** Specs of the admin commands: the real handlers on a command bus over an in-memory SQLite store. */

export const admin: AdminContext = {
  actor: { type: 'user', id: 'u-admin', email: 'admin@example.com' },
  toolName: 'import',
  now: new Date('2025-04-01T09:00:00Z'),
};

/** Rows numbered as in a CSV file: the first data row is line 2. */
export const rows = (...data: object[]): ImportRow[] => data.map((d, i) => ({ row: i + 2, data: d }));

export interface AdminCommandsHarness {
  readonly store: EventStore;
  readonly bus: CommandBus;
  countEvents(): Promise<number>;
  close(): Promise<void>;
}

export async function startAdminCommands(store: EventStore = new SqliteEventStore({ filename: ':memory:' })): Promise<AdminCommandsHarness> {
  // The store as the app's global InfrastructureModule provides it.
  const storeModule: DynamicModule = { module: class TestStoreModule {}, global: true, providers: [{ provide: EVENT_STORE, useValue: store }], exports: [EVENT_STORE] };
  const moduleRef: TestingModule = await Test.createTestingModule({ imports: [CqrsModule.forRoot(), storeModule, ReferenceDataModule] }).compile();
  await moduleRef.init();
  return {
    store,
    bus: moduleRef.get(CommandBus),
    countEvents: async () => (await store.readAll({ maxCount: 100_000 })).length,
    close: async () => {
      await moduleRef.close();
      await store.close();
    },
  };
}

/** Anna, a CSM, registered as in every spec that needs an owner. */
export async function registerAnna(bus: CommandBus): Promise<void> {
  await bus.execute(new RegisterUserCommand({ email: 'Anna@Example.com', name: 'Anna Berg', role: 'csm' }, admin));
}
