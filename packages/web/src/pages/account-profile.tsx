import { useEffect, useState, type FormEvent } from 'react';
import { api, setToken } from '../api.js';

interface Me {
  id: string;
  username: string;
  role: string;
  display_name: string | null;
  email: string | null;
}

export type Message = { error: boolean; text: string } | null;

/** A form's outcome: an alert when it failed, a status line when it worked. */
export function Notice({ message }: { message: Message }) {
  if (!message) return null;
  return (
    <p role={message.error ? 'alert' : 'status'} className={message.error ? 'error' : undefined}>
      {message.text}
    </p>
  );
}

/** Display name and email (PATCH /api/v1/users/me). */
export function ProfileForm() {
  const [me, setMe] = useState<Me | null>(null);
  const [message, setMessage] = useState<Message>(null);
  useEffect(() => {
    api<Me>('GET', '/api/v1/users/me').then(setMe, (e: Error) => setMessage({ error: true, text: e.message }));
  }, []);
  const save = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    api<Me>('PATCH', '/api/v1/users/me', { display_name: form.get('display_name'), email: form.get('email') }).then(
      (updated) => {
        setMe(updated);
        setMessage({ error: false, text: 'Profile saved.' });
      },
      (e: Error) => setMessage({ error: true, text: e.message }),
    );
  };
  if (!me) return <Notice message={message} />;
  return (
    <section aria-labelledby="profile">
      <h2 id="profile">
        Profile of {me.username} ({me.role})
      </h2>
      <Notice message={message} />
      <form className="inline" onSubmit={save}>
        <input
          name="display_name"
          maxLength={255}
          defaultValue={me.display_name ?? ''}
          placeholder="display name"
          aria-label="Display name"
        />
        <input
          name="email"
          type="email"
          maxLength={255}
          defaultValue={me.email ?? ''}
          placeholder="email"
          aria-label="Email"
        />
        <button type="submit">Save profile</button>
      </form>
    </section>
  );
}

/** The current password is required; the answer carries a new login token, every other login ends. */
export function PasswordForm() {
  const [message, setMessage] = useState<Message>(null);
  const change = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    api<{ token: string }>('POST', '/api/v1/users/me/password', {
      current_password: data.get('current_password'),
      new_password: data.get('password'),
    }).then(
      (answer) => {
        setToken(answer.token);
        form.reset();
        setMessage({ error: false, text: 'Password changed; other devices are logged out.' });
      },
      (e: Error) => setMessage({ error: true, text: e.message }),
    );
  };
  return (
    <section aria-labelledby="password">
      <h2 id="password">Password</h2>
      <Notice message={message} />
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
    </section>
  );
}
