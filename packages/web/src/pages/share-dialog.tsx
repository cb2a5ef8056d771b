import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api.js';

interface Share {
  id: string;
  mode: 'view' | 'control';
  username: string | null;
  created_by: string | null;
  expires_at: string;
  status: 'active' | 'expired' | 'revoked';
  viewers: Array<{ user_id: string; username: string; mode: string; connected_at: string }>;
}

/** Expiry choices (the server caps them at SHARE_MAX_LIFETIME and says so). */
const EXPIRIES: Array<[string, string]> = [
  ['30m', '30 minutes'],
  ['1h', '1 hour'],
  ['8h', '8 hours'],
  ['1d', '1 day'],
  ['7d', '7 days'],
];

/**
 * Sharing a session: make a link (view only or control, an expiry, optionally for one user) and copy
 * it; below, the session's shares with who is watching through each now, and a revoke button.
 */
export function ShareDialog({ sessionId, onClose }: { sessionId: string; onClose: () => void }) {
  const [shares, setShares] = useState<Share[]>([]);
  const [link, setLink] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const guard = useCallback(async (action: () => Promise<unknown>) => {
    try {
      setError(null);
      await action();
    } catch (e) {
      setError((e as Error).message);
    }
  }, []);
  const refresh = useCallback(
    () => guard(async () => setShares(await api<Share[]>('GET', `/api/v1/sessions/${sessionId}/shares`))),
    [guard, sessionId],
  );
  useEffect(() => {
    void refresh();
    // Who is watching changes without us: look again every few seconds while the dialog is open.
    const timer = setInterval(() => void refresh(), 5000);
    return () => clearInterval(timer);
  }, [refresh]);

  const create = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const username = String(form.get('username') ?? '').trim();
    void guard(async () => {
      const created = await api<{ url: string }>('POST', `/api/v1/sessions/${sessionId}/shares`, {
        mode: form.get('mode'),
        expires_in: form.get('expires_in'),
        ...(username ? { username } : {}),
      });
      setLink(created.url);
      setCopied(false);
      await refresh();
    });
  };
  const copy = () =>
    void guard(async () => {
      await navigator.clipboard.writeText(link!);
      setCopied(true);
    });

  return (
    <section role="dialog" aria-label="Share session" className="share-dialog">
      <h3>Share this desktop</h3>
      <form className="inline" onSubmit={create}>
        <label>
          Mode{' '}
          <select name="mode" defaultValue="view">
            <option value="view">View only</option>
            <option value="control">Control (keyboard and mouse)</option>
          </select>
        </label>
        <label>
          Expires after{' '}
          <select name="expires_in" defaultValue="1h">
            {EXPIRIES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Only for user <input name="username" placeholder="anyone signed in" autoComplete="off" />
        </label>
        <button type="submit">Create link</button>
      </form>
      {link && (
        <p>
          <input readOnly aria-label="Share link" value={link} size={60} onFocus={(e) => e.currentTarget.select()} />{' '}
          <button onClick={copy}>Copy link</button> {copied && <span role="status">copied</span>}
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <table className="shares" aria-label="Shares">
        <tbody>
          {shares.map((s) => (
            <tr key={s.id} data-share={s.id} data-status={s.status}>
              <td>{s.mode === 'view' ? 'view only' : 'control'}</td>
              <td>{s.username ? `for ${s.username}` : 'anyone with the link'}</td>
              <td>{s.status === 'active' ? `until ${new Date(s.expires_at).toLocaleString()}` : s.status}</td>
              <td aria-label="Watching now">
                {s.viewers.length === 0 ? 'nobody connected' : s.viewers.map((v) => v.username).join(', ')}
              </td>
              <td>
                {s.status === 'active' && (
                  <button
                    onClick={() =>
                      void guard(async () => {
                        await api('DELETE', `/api/v1/sessions/${sessionId}/shares/${s.id}`);
                        await refresh();
                      })
                    }
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button onClick={onClose}>Close</button>
    </section>
  );
}
