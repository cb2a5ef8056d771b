import { useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { MfaCodeStep, signIn, type LoginAnswer } from './login-mfa.js';
import { PasswordLoginSection, SingleSignOn, useSignInProviders } from './SingleSignOn.js';

export function Login() {
  const [error, setError] = useState<string | null>(null);
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const providers = useSignInProviders();
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      const answer = await api<LoginAnswer>('POST', '/api/v1/auth/login', {
        username: form.get('username'),
        password: form.get('password'),
      });
      if ('mfa_required' in answer) setMfaToken(answer.mfa_token);
      else signIn(answer);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  if (mfaToken) return <MfaCodeStep mfaToken={mfaToken} onRestart={() => setMfaToken(null)} />;
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
