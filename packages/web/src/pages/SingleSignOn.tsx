import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Alert, Box, Button, Group, Loader, Stack } from '@mantine/core';
import { IconKey } from '@tabler/icons-react';
import { api, setToken } from '../api.js';

/** GET /api/v1/auth/providers: which ways of signing in the server offers. */
export interface SignInProviders {
  local: boolean;
  oidc: { label: string; login_url: string } | null;
}

export function useSignInProviders(): SignInProviders | undefined {
  const [providers, setProviders] = useState<SignInProviders>();
  useEffect(() => {
    api<SignInProviders>('GET', '/api/v1/auth/providers')
      .then(setProviders)
      // An older server without the route: passwords only.
      .catch(() => setProviders({ local: true, oidc: null }));
  }, []);
  return providers;
}

/**
 * The single sign-on button, and the end of a sign-in: the server's callback lands the browser on
 * `#/login?sso=1` with an HttpOnly cookie; this page redeems it for the login token (nothing secret
 * ever sits in the URL) or shows why the sign-in failed.
 */
export function SingleSignOn({ providers }: { providers: SignInProviders | undefined }) {
  const [error, setError] = useState<string | null>(null);
  const [finishing, setFinishing] = useState(() => new URLSearchParams(location.hash.split('?')[1]).has('sso'));
  const started = useRef(false);
  useEffect(() => {
    if (!finishing || started.current) return;
    started.current = true;
    // A reload must not try the one-time cookie again.
    history.replaceState(null, '', '#/login');
    api<{ token: string; return_to: string }>('POST', '/api/v1/auth/oidc/exchange')
      .then(({ token, return_to }) => {
        setToken(token);
        location.hash = `#${return_to}`;
        location.reload();
      })
      .catch((e: Error) => {
        setError(e.message);
        setFinishing(false);
      });
  }, [finishing]);
  return (
    <Stack gap="sm" mb={providers?.oidc || finishing || error ? 'md' : 0}>
      {finishing && (
        <Group gap="xs" role="status">
          <Loader size="xs" /> Finishing single sign-on…
        </Group>
      )}
      {providers?.oidc && (
        <Button
          component="a"
          className="sso"
          size="md"
          fullWidth
          leftSection={<IconKey size={18} />}
          href={`${providers.oidc.login_url}?return_to=${encodeURIComponent(returnTo())}`}
        >
          {providers.oidc.label}
        </Button>
      )}
      {error && (
        <Alert color="red" variant="light" className="error">
          {error}
        </Alert>
      )}
    </Stack>
  );
}

/** The page the user asked for before the login page stood in for it (`#/view/<id>`), else home. */
function returnTo(): string {
  const route = location.hash.slice(1).split('?')[0] || '/';
  return route.startsWith('/login') ? '/' : route;
}

/** The password form: shown as is, or folded away as the break-glass administrator's when LOCAL_LOGIN is off. */
export function PasswordLoginSection({ local, children }: { local: boolean; children: ReactNode }) {
  if (local) return <>{children}</>;
  return (
    <details className="break-glass">
      <summary>Administrator password login (break-glass)</summary>
      <Box pt="sm">{children}</Box>
    </details>
  );
}
