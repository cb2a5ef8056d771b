/** The API as the UI uses it: a bearer token kept in sessionStorage, errors as {error, message}. */
import type { SessionStateName } from '@streamspace/protocol/session-state-groups';

export interface Session {
  id: string;
  user: string;
  user_id: string;
  template: string;
  state: SessionStateName;
  state_reason: string | null;
  progress: { step?: string; message?: string; current?: number; total?: number } | null;
  agent_id: string | null;
  /** The region of the agent the session runs on (null: no agent yet, or the agent names none). */
  agent_region: string | null;
  created_at: string;
  state_changed_at: string;
  updated_at: string;
}
/** GET /api/v1/users/me: who is signed in (the shell's user menu, the Account page). */
export interface Me {
  id: string;
  username: string;
  role: string;
  display_name: string | null;
  email: string | null;
  single_sign_on?: boolean;
}
export interface Template {
  name: string;
  display_name: string;
  description: string;
  /** A bundled icon's name (served at /icons/<name>.svg) or an https URL; null = the generic icon. */
  icon: string | null;
  category: string;
  tags: string[];
}

/** The icons shipped in public/icons, as the API accepts them (control-plane api/schemas.ts
 * BUNDLED_TEMPLATE_ICONS; a name the server does not know comes back as a 400 on `icon`). */
export const BUNDLED_ICONS = ['app', 'browser', 'code', 'desktop', 'graphics', 'office', 'terminal'] as const;

/** Where a template's icon is drawn from. */
export const templateIconUrl = (icon: string | null): string =>
  icon === null ? '/icons/app.svg' : icon.startsWith('https://') ? icon : `/icons/${icon}.svg`;

const TOKEN_KEY = 'streamspace-token';
export const getToken = () => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (token: string | null) =>
  token ? sessionStorage.setItem(TOKEN_KEY, token) : sessionStorage.removeItem(TOKEN_KEY);

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** On a 400 about one field: its name in the request body (`memory_limit_mb`, `env.PATH`, `tags.1`). */
    readonly field?: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = response.status === 204 ? undefined : await response.json().catch(() => undefined);
  if (!response.ok) {
    const { error, message, field } = (data ?? {}) as { error?: string; message?: string; field?: string };
    if (response.status === 401) setToken(null);
    // MFA_REQUIRED: until two-factor is set up the server refuses everything else; go set it up.
    if (error === 'mfa_enrollment_required') location.hash = '#/account';
    throw new ApiError(response.status, message ?? response.statusText, field);
  }
  return data as T;
}

/** Logs out on the server too: every token of this user stops working, on every device. */
export async function logOut(): Promise<void> {
  await api('POST', '/api/v1/auth/logout').catch(() => undefined);
  setToken(null);
  location.reload();
}

/** `event: idle_warning` on the live-update stream: the session hibernates at `hibernate_at` unless
 * someone gives input (or presses "Keep working"). */
export interface IdleWarning {
  session_id: string;
  hibernate_at: string;
  reason: string;
}

/** Session changes pushed by the server (SSE read with fetch, so the token goes in a header). */
export function watchSessions(
  onSession: (session: Session) => void,
  signal: AbortSignal,
  onIdleWarning?: (warning: IdleWarning) => void,
): void {
  void (async () => {
    while (!signal.aborted) {
      try {
        const response = await fetch('/api/v1/sessions/events', {
          headers: { authorization: `Bearer ${getToken()}` },
          signal,
        });
        if (response.status === 401) {
          // Logged out, disabled or expired: back to the login page.
          setToken(null);
          location.reload();
          return;
        }
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const lines = event.split('\n');
            const data = lines.find((line) => line.startsWith('data: '));
            // The server ends the stream with `event: logout` when this login is revoked or expires.
            if (lines.includes('event: logout')) {
              setToken(null);
              location.reload();
              return;
            }
            if (data && lines.includes('event: idle_warning'))
              onIdleWarning?.(JSON.parse(data.slice(6)) as IdleWarning);
            else if (data) onSession(JSON.parse(data.slice(6)) as Session);
          }
        }
      } catch {
        // dropped: reconnect below
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
}
