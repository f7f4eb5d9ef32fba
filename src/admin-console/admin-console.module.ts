import { Module } from '@nestjs/common';
import { AdminConsoleController } from './admin-console.controller';
import { ConsoleAssets } from './console-assets';

/** The admin web console under /admin (README "Admin console"); it talks to the admin API only. */
@Module({
  controllers: [AdminConsoleController],
  providers: [{ provide: ConsoleAssets, useFactory: () => new ConsoleAssets() }],
})
export class AdminConsoleModule {}
