import { Module } from '@nestjs/common';
import { UserAccountsService } from './user-accounts.service';

/**
 * The admin's user management (UserAccountsService) for the CLI and the admin API. The user commands'
 * handlers are in ReferenceDataModule; PasswordService comes from the global AuthModule.
 */
@Module({
  providers: [UserAccountsService],
  exports: [UserAccountsService],
})
export class UsersModule {}
