import { useCallback, useEffect, useState } from 'react';
import { api, logOut, watchSessions, type Session, type Template } from '../api.js';
import { isViewable, requestableFrom, type RequestableState } from '@streamspace/protocol/session-state-groups';
import { SessionProgress } from './session-progress.js';
import { ShareDialog } from './share-dialog.js';

/** The button for each state a user may ask for; which buttons a session shows comes from the
 * protocol's state table, the same one the API checks requests against. */
const ACTION_LABELS: Record<RequestableState, string> = { running: 'Resume', hibernated: 'Hibernate', stopped: 'Stop' };

export function Home() {
  const [templates, setTemplates] = useState<Template[]>([]);
  const [sessions, setSessions] = useState<Session[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [role, setRole] = useState<string>('user');
  const [sharing, setSharing] = useState<string | null>(null);

  const guard = useCallback(async (action: () => Promise<unknown>) => {
    try {
      setError(null);
      await action();
    } catch (e) {
      setError((e as Error).message);
    }
  }, []);
  const upsert = useCallback(
    (session: Session) =>
      setSessions((list) => {
        const rest = list.filter((s) => s.id !== session.id);
        return session.state === 'deleted' ? rest : [session, ...rest].sort((a, b) => (a.id < b.id ? -1 : 1));
      }),
    [],
  );

  useEffect(() => {
    const controller = new AbortController();
    void guard(async () => {
      setRole((await api<{ role: string }>('GET', '/api/v1/auth/me')).role);
      setTemplates(await api<Template[]>('GET', '/api/v1/templates'));
      setSessions(await api<Session[]>('GET', '/api/v1/sessions'));
    });
    watchSessions(upsert, controller.signal);
    return () => controller.abort();
  }, [guard, upsert]);

  return (
    <main>
      <header>
        <h1>StreamSpace</h1>
        {role === 'admin' && (
          <nav className="admin">
            <a href="#/agents">Agents</a> <a href="#/users">Users</a> <a href="#/templates">Templates</a>{' '}
            <a href="#/audit">Audit</a>
          </nav>
        )}
        <a href="#/account">Account</a>
        <button onClick={() => void logOut()}>Log out</button>
      </header>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <section>
        <h2>Apps</h2>
        <ul className="catalog">
          {templates.map((t) => (
            <li key={t.name} data-template={t.name}>
              <strong>{t.display_name}</strong>
              <span>{t.description}</span>
              <button
                onClick={() =>
                  guard(async () => upsert(await api<Session>('POST', '/api/v1/sessions', { template: t.name })))
                }
              >
                Start
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2>Sessions</h2>
        <ul className="sessions">
          {sessions.map((s) => (
            <li key={s.id} data-session={s.id} data-state={s.state}>
              <strong>{s.template}</strong> <span className="owner">{s.user}</span>{' '}
              <span className="state">{s.state}</span>
              <SessionProgress session={s} />
              {isViewable(s.state) && <a href={`#/view/${s.id}`}>Open</a>}
              {requestableFrom(s.state).map((state) => (
                <button
                  key={state}
                  onClick={() =>
                    guard(async () => upsert(await api<Session>('PATCH', `/api/v1/sessions/${s.id}`, { state })))
                  }
                >
                  {ACTION_LABELS[state]}
                </button>
              ))}
              <button
                onClick={() => guard(async () => upsert(await api<Session>('DELETE', `/api/v1/sessions/${s.id}`)))}
              >
                Delete
              </button>
              <button onClick={() => setSharing(sharing === s.id ? null : s.id)}>Share</button>
              {sharing === s.id && <ShareDialog sessionId={s.id} onClose={() => setSharing(null)} />}
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}
