import { Module } from '@nestjs/common';
import { RecordScorecardHandler } from '../../scorecards/commands/record-scorecard/record-scorecard.handler';
import { ChangeUserRoleHandler } from '../../../users/commands/change-user-role/change-user-role.handler';
import { ChangeUserTeamHandler } from '../../../users/commands/change-user-team/change-user-team.handler';
import { RegisterUserHandler } from '../../../users/commands/register-user/register-user.handler';
import { ImportCompaniesHandler } from './import-companies/import-companies.handler';
import { ImportContactsHandler } from './import-contacts/import-contacts.handler';
import { ImportRelationshipsHandler } from './import-relationships/import-relationships.handler';

/**
 * The admin commands that write reference data: companies, relationships, contacts, scorecards and
 * users. Never reachable through MCP (no tool dispatches them); the CLI (`import`, `seed`, `users add`)
 * and the admin API do. Needs the EVENT_STORE of the global InfrastructureModule and CqrsModule.
 */
@Module({
  providers: [ImportCompaniesHandler, ImportRelationshipsHandler, ImportContactsHandler, RecordScorecardHandler, RegisterUserHandler, ChangeUserRoleHandler, ChangeUserTeamHandler],
})
export class ReferenceDataModule {}
