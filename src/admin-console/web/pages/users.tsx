import { useState } from 'preact/hooks';
import { ErrorNotice, Loading, Pager, Success, formatTime, nextCursorOf, useAction, useApi, useLoad, usePager } from '../ui';

interface User {
  readonly user_id: string;
  readonly email: string;
  readonly name: string;
  readonly role: string;
  readonly registered_at: string;
  readonly has_password: boolean;
}

export const ROLES = ['admin', 'csm', 'viewer'] as const;

export function UsersPage() {
  const api = useApi();
  const pager = usePager('users');
  const list = useLoad(() => api.get<{ items: User[]; next_cursor?: string | null }>('/users', { limit: 50, cursor: pager.cursor }), `users|${pager.cursor ?? ''}`);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <>
      <h1>Users and roles</h1>
      <p>
        Admins configure csmcp; CSMs read and write their customer-success data; viewers only read. A changed role reaches the user's tokens within a
        second. Nobody changes their own role: another admin must.
      </p>
      {notice ? <Success>{notice}</Success> : null}
      <ErrorNotice error={list.error} />
      {list.loading && !list.data ? <Loading what="users" /> : null}
      {list.data ? (
        <div class="overflow-auto">
          <table class="striped">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Password</th>
                <th scope="col">Registered</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((u) => (
                <UserRow
                  key={u.user_id}
                  user={u}
                  onChanged={(message) => {
                    setNotice(message);
                    list.reload();
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager label="Users" page={pager.page} nextCursor={list.data ? nextCursorOf(list.data) : null} onNext={pager.next} onPrevious={pager.previous} />
      <AddUser
        onAdded={(message) => {
          setNotice(message);
          list.reload();
        }}
      />
    </>
  );
}

function UserRow(props: { user: User; onChanged(message: string): void }) {
  const api = useApi();
  const u = props.user;
  const [role, setRole] = useState(u.role);
  const change = useAction(() => api.patch<{ role: string; previous_role: string; changed: boolean }>(`/users/${encodeURIComponent(u.user_id)}`, { role }));
  return (
    <tr>
      <td>{u.email}</td>
      <td>{u.name}</td>
      <td>
        <form
          class="inline"
          onSubmit={async (e) => {
            e.preventDefault();
            const result = await change.go();
            if (result) props.onChanged(result.changed ? `${u.email} is now ${result.role} (was ${result.previous_role}).` : `${u.email} was ${result.role} already.`);
          }}
        >
          <select aria-label={`Role of ${u.email}`} value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <button type="submit" class="outline small" disabled={role === u.role || change.busy} aria-busy={change.busy}>
            Change role
          </button>
        </form>
        <ErrorNotice error={change.error} />
      </td>
      <td>{u.has_password ? 'set' : 'none'}</td>
      <td>{formatTime(u.registered_at)}</td>
    </tr>
  );
}

function AddUser(props: { onAdded(message: string): void }) {
  const api = useApi();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState('csm');
  const [password, setPassword] = useState('');
  const add = useAction(() =>
    api.post<{ email: string; role: string; password_set: boolean }>('/users', { email, name, role, ...(password ? { password } : {}) }),
  );
  return (
    <section aria-labelledby="add-user-title">
      <h2 id="add-user-title">Add a user</h2>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const result = await add.go();
          if (result) {
            setEmail('');
            setName('');
            setPassword('');
            props.onAdded(`${result.email} was added as ${result.role}${result.password_set ? ' with a password' : ''}.`);
          }
        }}
      >
        <div class="grid">
          <label>
            Email
            <input type="email" name="email" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Name
            <input name="name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Role
            <select name="role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label>
          Password (optional, 12 characters or more; without one the user signs in through your identity provider)
          <input type="password" name="password" autocomplete="new-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        <ErrorNotice error={add.error} />
        <button type="submit" aria-busy={add.busy} disabled={add.busy}>
          Add user
        </button>
      </form>
    </section>
  );
}
