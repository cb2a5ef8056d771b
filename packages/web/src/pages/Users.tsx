import { Fragment, useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { AdminPage, useAdminList } from './admin-page.js';
import { UserApiTokens } from './api-tokens.js';

interface User {
  id: string;
  username: string;
  role: 'admin' | 'user';
  disabled: boolean;
  /** Sessions this user may hold; null: the server's USER_MAX_SESSIONS. */
  max_sessions: number | null;
  /** Two-factor (TOTP) is on. */
  mfa_enabled?: boolean;
}

/** Admin: users and roles. */
export function Users() {
  const { items: users, error, run: guard } = useAdminList<User>('/api/v1/users');
  const [tokensOf, setTokensOf] = useState<string | null>(null);
  const create = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void guard(() =>
      api('POST', '/api/v1/users', {
        username: form.get('username'),
        password: form.get('password'),
        role: form.get('role'),
      }),
    );
    event.currentTarget.reset();
  };
  return (
    <AdminPage title="Users" error={error}>
      <form className="inline" onSubmit={create}>
        <input name="username" placeholder="username" required aria-label="New username" />
        <input
          name="password"
          type="password"
          placeholder="password (8+)"
          required
          minLength={8}
          aria-label="New password"
        />
        <select name="role" aria-label="Role" defaultValue="user">
          <option value="user">user</option>
          <option value="admin">admin</option>
        </select>
        <button type="submit">Add user</button>
      </form>
      <table className="agents">
        <tbody>
          {users.map((u) => (
            <Fragment key={u.id}>
              <tr data-user={u.username}>
                <td>{u.username}</td>
                <td>{u.role}</td>
                <td>{u.disabled ? 'disabled' : 'active'}</td>
                <td>
                  <form
                    className="inline"
                    onSubmit={(event) => {
                      event.preventDefault();
                      const raw = String(new FormData(event.currentTarget).get('max_sessions') ?? '').trim();
                      void guard(() =>
                        api('PATCH', `/api/v1/users/${u.id}`, { max_sessions: raw === '' ? null : Number(raw) }),
                      );
                    }}
                  >
                    <input
                      name="max_sessions"
                      type="number"
                      min={0}
                      placeholder="default"
                      defaultValue={u.max_sessions ?? ''}
                      aria-label={`Session limit of ${u.username}`}
                    />
                    <button type="submit">Set limit</button>
                  </form>
                </td>
                <td>
                  <button
                    onClick={() => void guard(() => api('PATCH', `/api/v1/users/${u.id}`, { disabled: !u.disabled }))}
                  >
                    {u.disabled ? 'Enable' : 'Disable'}
                  </button>
                </td>
                <td>
                  <button
                    aria-expanded={tokensOf === u.id}
                    aria-label={`API tokens of ${u.username}`}
                    onClick={() => setTokensOf(tokensOf === u.id ? null : u.id)}
                  >
                    Tokens
                  </button>
                </td>
                <td>
                  {u.mfa_enabled && (
                    <button
                      aria-label={`Reset two-factor of ${u.username}`}
                      onClick={() =>
                        confirm(`Turn off two-factor for ${u.username} and log them out everywhere?`) &&
                        void guard(() => api('DELETE', `/api/v1/users/${u.id}/mfa`))
                      }
                    >
                      Reset two-factor
                    </button>
                  )}
                </td>
              </tr>
              {tokensOf === u.id && (
                <tr>
                  <td colSpan={7}>
                    <UserApiTokens userId={u.id} username={u.username} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </AdminPage>
  );
}
