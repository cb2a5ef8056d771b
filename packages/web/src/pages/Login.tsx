import { useState, type FormEvent } from 'react';
import { Alert, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { api } from '../api.js';
import { AuthCard } from '../ui/auth-card.js';
import { MfaCodeStep, signIn, type LoginAnswer } from './login-mfa.js';
import { PasswordLoginSection, SingleSignOn, useSignInProviders } from './SingleSignOn.js';

export function Login() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const providers = useSignInProviders();
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    try {
      const answer = await api<LoginAnswer>('POST', '/api/v1/auth/login', {
        username: form.get('username'),
        password: form.get('password'),
      });
      if ('mfa_required' in answer) setMfaToken(answer.mfa_token);
      else signIn(answer);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  if (mfaToken) return <MfaCodeStep mfaToken={mfaToken} onRestart={() => setMfaToken(null)} />;
  return (
    <AuthCard subtitle="Sign in to your apps and desktops.">
      <SingleSignOn providers={providers} />
      <PasswordLoginSection local={providers?.local ?? true}>
        <form onSubmit={submit}>
          <Stack>
            <TextInput name="username" label="Username" autoComplete="username" required />
            <PasswordInput name="password" label="Password" autoComplete="current-password" required />
            {error && (
              <Alert color="red" variant="light" className="error">
                {error}
              </Alert>
            )}
            <Button type="submit" fullWidth loading={busy}>
              Log in
            </Button>
          </Stack>
        </form>
      </PasswordLoginSection>
    </AuthCard>
  );
}
