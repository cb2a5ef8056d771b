import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, getToken } from '../api.js';
import { AdminPage } from './admin-page.js';

interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  actor_user_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

interface AuditPage {
  entries: AuditEntry[];
  next_cursor: string | null;
}

const PAGE = 100;

/** The form's fields as GET /api/v1/audit parameters; the time inputs are local time, sent as RFC 3339. */
function filterParams(form: FormData): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of ['actor', 'action', 'target_type', 'target_id']) {
    const value = String(form.get(name) ?? '').trim();
    if (value) params.set(name, value);
  }
  for (const name of ['since', 'until']) {
    const value = String(form.get(name) ?? '');
    if (value) params.set(name, new Date(value).toISOString());
  }
  return params;
}

/**
 * Downloads an export. The token lives in browser storage, not a cookie, so a plain link would
 * arrive unauthenticated: fetch with the bearer header, then hand the blob to the browser.
 */
async function download(params: URLSearchParams, format: 'csv' | 'jsonl') {
  const query = new URLSearchParams(params);
  query.set('format', format);
  const response = await fetch(`/api/v1/audit?${query}`, { headers: { authorization: `Bearer ${getToken()}` } });
  if (!response.ok) {
    const body = (await response.json().catch(() => undefined)) as { message?: string } | undefined;
    throw new Error(body?.message ?? response.statusText);
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? `audit.${format}`;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The click has handed the blob to the download; the URL is not needed after this turn.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

const target = (e: AuditEntry) => (e.target_id ? `${e.target_type} ${e.target_id}` : e.target_type);
const details = (e: AuditEntry) => (Object.keys(e.details).length > 0 ? JSON.stringify(e.details) : '');

/** Admin: who did what, to what, from where. Filters, pages by cursor, exports CSV and JSON lines. */
export function Audit() {
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [params, setParams] = useState(() => new URLSearchParams());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async (filters: URLSearchParams, after: string | null) => {
    setError(null);
    setBusy(true);
    try {
      const query = new URLSearchParams(filters);
      query.set('limit', String(PAGE));
      if (after) query.set('cursor', after);
      const page = await api<AuditPage>('GET', `/api/v1/audit?${query}`);
      setEntries((shown) => (after ? [...shown, ...page.entries] : page.entries));
      setCursor(page.next_cursor);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }, []);

  useEffect(() => void load(new URLSearchParams(), null), [load]);

  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const filters = filterParams(new FormData(event.currentTarget));
    setParams(filters);
    void load(filters, null);
  };
  const exportAs = (format: 'csv' | 'jsonl') => {
    setError(null);
    download(params, format).catch((e: Error) => setError(e.message));
  };

  return (
    <AdminPage title="Audit log" error={error}>
      <form className="inline" onSubmit={apply} aria-label="Filter the audit log">
        <input name="actor" placeholder="actor (username or id)" aria-label="Actor" />
        <input name="action" placeholder="action (auth.* for a prefix)" aria-label="Action" />
        <input name="target_type" placeholder="target type" aria-label="Target type" />
        <input name="target_id" placeholder="target id" aria-label="Target id" />
        <label>
          From <input name="since" type="datetime-local" step="1" aria-label="From" />
        </label>
        <label>
          To <input name="until" type="datetime-local" step="1" aria-label="To" />
        </label>
        <button type="submit">Apply filters</button>
        <button type="button" onClick={() => exportAs('csv')}>
          Export CSV
        </button>
        <button type="button" onClick={() => exportAs('jsonl')}>
          Export JSON lines
        </button>
      </form>
      <table className="agents audit" aria-label="Audit log" aria-busy={busy}>
        <thead>
          <tr>
            <th>Time</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Target</th>
            <th>Address</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id} data-action={e.action}>
              <td title={e.at}>{new Date(e.at).toLocaleString()}</td>
              <td title={e.actor_user_id ?? ''}>{e.actor}</td>
              <td>{e.action}</td>
              <td>{target(e)}</td>
              <td>{e.ip ?? '–'}</td>
              <td>
                <code>{details(e)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!busy && entries.length === 0 && <p>No entries match.</p>}
      {cursor && (
        <button type="button" disabled={busy} onClick={() => void load(params, cursor)}>
          Load more
        </button>
      )}
    </AdminPage>
  );
}
