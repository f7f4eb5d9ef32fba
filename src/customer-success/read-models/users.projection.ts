import type { RecordedEvent } from '@csmcp/event-store';
import type { Projection, SqlExecutor } from '@csmcp/projections';
import type { UserRegistered, UserRoleChanged, UserTeamChanged } from '../../users/user.events';
import { USERS_DDL } from './customer-success.tables';

/** cs_users: who may own records (owner ids resolve to names and emails here). */
export class UsersProjection implements Projection {
  readonly name = 'users';
  /** 2: the team column. */
  readonly version = 2;
  readonly handles: readonly string[] = ['UserRegistered', 'UserRoleChanged', 'UserTeamChanged'];

  async setup(db: SqlExecutor): Promise<void> {
    await db.exec(USERS_DDL);
  }

  async reset(db: SqlExecutor): Promise<void> {
    await db.exec('DROP TABLE IF EXISTS cs_users');
    await db.exec(USERS_DDL);
  }

  async apply(event: RecordedEvent, db: SqlExecutor): Promise<void> {
    switch (event.type) {
      case 'UserRegistered': {
        const d = event.data as UserRegistered['data'];
        await db.run(
          `INSERT INTO cs_users (user_id, email, name, role, registered_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, name = excluded.name, role = excluded.role`,
          [d.userId, d.email, d.name, d.role, d.registeredAt],
        );
        return;
      }
      case 'UserRoleChanged': {
        const d = event.data as UserRoleChanged['data'];
        await db.run('UPDATE cs_users SET role = ? WHERE user_id = ?', [d.to, d.userId]);
        return;
      }
      case 'UserTeamChanged': {
        const d = event.data as UserTeamChanged['data'];
        await db.run('UPDATE cs_users SET team = ? WHERE user_id = ?', [d.to, d.userId]);
        return;
      }
    }
  }
}
