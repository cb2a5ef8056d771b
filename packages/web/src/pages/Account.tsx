import { useState, type FormEvent } from 'react';
import { api, setToken } from '../api.js';
import { TwoFactor } from './two-factor.js';
import type { LoginAnswer } from './login-mfa.js';

interface Me {
  id: string;
  username: string;
}

/** The logged-in user's own account: change the password (the current one is required), two-factor. */
export function Account() {
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const change = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = String(form.get('password'));
    void (async () => {
      try {
        const me = await api<Me>('GET', '/api/v1/auth/me');
        await api('PATCH', `/api/v1/users/${me.id}`, { password, current_password: form.get('current_password') });
        // The change revoked every token of this user, this one included: log in with the new password.
        const login = await api<LoginAnswer>('POST', '/api/v1/auth/login', { username: me.username, password });
        if ('mfa_required' in login) {
          // With two-factor on, a new login needs a code too: the login page asks for it.
          setToken(null);
          location.reload();
          return;
        }
        setToken(login.token);
        setMessage({ error: false, text: 'Password changed; other devices are logged out.' });
      } catch (error) {
        setMessage({ error: true, text: (error as Error).message });
      }
    })();
  };
  return (
    <main>
      <header>
        <h1>Account</h1>
        <a href="#/">← Sessions</a>
      </header>
      {message && (
        <p role={message.error ? 'alert' : 'status'} className={message.error ? 'error' : undefined}>
          {message.text}
        </p>
      )}
      <form className="inline" onSubmit={change}>
        <input
          name="current_password"
          type="password"
          required
          placeholder="current password"
          aria-label="Current password"
        />
        <input
          name="password"
          type="password"
          required
          minLength={8}
          placeholder="new password (8+)"
          aria-label="New password"
        />
        <button type="submit">Change password</button>
      </form>
      <TwoFactor />
    </main>
  );
}
