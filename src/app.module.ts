import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from './config/config';
import { AdminModule } from './admin/admin.module';
import { AdminConsoleModule } from './admin-console/admin-console.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { ConnectorsModule } from './connectors/connectors.module';
import { OAuthServerModule } from './auth/oauth-server/oauth-server.module';
import { AnalysisModule } from './customer-success/analysis/analysis.module';
import { ReferenceDataModule } from './customer-success/companies/commands/reference-data.module';
import { CustomerSuccessModule } from './customer-success/customer-success.module';
import { HealthModule } from './health/health.module';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { loggingParams } from './logging/logging';
import { McpModule } from './mcp/mcp.module';
import { ReadModelsModule } from './customer-success/read-models/read-models.module';
import { UsersModule } from './users/users.module';

export interface AppModuleOptions {
  /** The server runs projections and serves HTTP; one-shot CLI commands do neither. */
  readonly server: boolean;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // CLI commands print their results on stdout, so their logs go to stderr.
        LoggerModule.forRoot(loggingParams(config.logLevel, options.server ? 'stdout' : 'stderr')),
        CqrsModule.forRoot(),
        InfrastructureModule.forRoot(config, { runProjections: options.server }),
        ReadModelsModule,
        AuditModule,
        CustomerSuccessModule,
        ReferenceDataModule,
        AnalysisModule,
        AuthModule.forRoot({ server: options.server }),
        UsersModule,
        ConnectorsModule.forRoot({ server: options.server }),
        ...(options.server ? [OAuthServerModule, HealthModule, McpModule, AdminModule, AdminConsoleModule] : []),
      ],
    };
  }
}
