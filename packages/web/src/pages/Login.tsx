import { useState, type FormEvent } from 'react';
import { api, setToken } from '../api.js';
import { PasswordLoginSection, SingleSignOn, useSignInProviders } from './SingleSignOn.js';

export function Login() {
  const [error, setError] = useState<string | null>(null);
  const providers = useSignInProviders();
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      const { token } = await api<{ token: string }>('POST', '/api/v1/auth/login', {
        username: form.get('username'),
        password: form.get('password'),
      });
      setToken(token);
      location.hash = '#/';
      location.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <main className="login">
      <h1>StreamSpace</h1>
      <SingleSignOn providers={providers} />
      <PasswordLoginSection local={providers?.local ?? true}>
        <form onSubmit={submit}>
          <label>
            Username <input name="username" autoComplete="username" required />
          </label>
          <label>
            Password <input name="password" type="password" autoComplete="current-password" required />
          </label>
          <button type="submit">Log in</button>
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
        </form>
      </PasswordLoginSection>
    </main>
  );
}
