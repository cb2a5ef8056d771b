import { useState, type FormEvent } from 'react';
import { Alert, Button, Group, Stack, TextInput } from '@mantine/core';
import { api, setToken } from '../api.js';
import { AuthCard } from '../ui/auth-card.js';

/** What POST /api/v1/auth/login answers: a session, or the second step when two-factor is on. */
export type LoginAnswer =
  { token: string; mfa_enrollment_required?: true } | { mfa_required: true; mfa_token: string; expires_at: string };

/** Keeps the session token and opens the app; at the two-factor setup when MFA_REQUIRED wants it. */
export function signIn(answer: { token: string; mfa_enrollment_required?: true }) {
  setToken(answer.token);
  // Back to the page the login stood in for (a share link, a viewer), as single sign-on does.
  const route = location.hash.slice(1).split('?')[0] || '/';
  location.hash = answer.mfa_enrollment_required ? '#/account' : `#${route.startsWith('/login') ? '/' : route}`;
  location.reload();
}

/** The second step of a login: a code from the authenticator app, or a recovery code. */
export function MfaCodeStep({ mfaToken, onRestart }: { mfaToken: string; onRestart: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const code = String(new FormData(event.currentTarget).get('code') ?? '').trim();
    api<{ token: string }>('POST', '/api/v1/auth/mfa', { mfa_token: mfaToken, code }).then(signIn, (e: Error) =>
      setError(e.message),
    );
  };
  return (
    <AuthCard subtitle="Enter the 6-digit code from your authenticator app, or one of your recovery codes.">
      <form onSubmit={submit}>
        <Stack>
          <TextInput
            name="code"
            label="Authentication code"
            autoComplete="one-time-code"
            autoFocus
            required
            maxLength={64}
            spellCheck={false}
          />
          {error && (
            <Alert color="red" variant="light" className="error">
              {error}
            </Alert>
          )}
          <Group grow>
            <Button type="button" variant="default" onClick={onRestart}>
              Start over
            </Button>
            <Button type="submit">Verify</Button>
          </Group>
        </Stack>
      </form>
    </AuthCard>
  );
}
