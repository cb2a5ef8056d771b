import { useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { useAdminList } from './admin-page.js';
import { Notice } from './account-profile.js';

/** A personal API token as GET /api/v1/users/me/tokens and /api/v1/tokens list it (never the token). */
export interface ApiToken {
  id: string;
  name: string;
  hint: string;
  username: string;
  status: 'active' | 'expired' | 'revoked';
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  last_used_from: string | null;
  revoked_by: string | null;
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : 'never');

/** Tokens in a table, each active one with a Revoke button. */
export function TokenTable({
  tokens,
  revoke,
  caption,
}: {
  tokens: ApiToken[];
  revoke: (token: ApiToken) => void;
  caption: string;
}) {
  if (tokens.length === 0) return <p>No API tokens.</p>;
  return (
    <table className="agents">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th>Name</th>
          <th>Token</th>
          <th>Status</th>
          <th>Expires</th>
          <th>Last used</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {tokens.map((t) => (
          <tr key={t.id} data-token={t.name} data-status={t.status}>
            <td>{t.name}</td>
            <td>
              <code>{t.hint}…</code>
            </td>
            <td>{t.status === 'revoked' && t.revoked_by ? `revoked (${t.revoked_by})` : t.status}</td>
            <td>{when(t.expires_at)}</td>
            <td>{t.last_used_at ? `${when(t.last_used_at)} from ${t.last_used_from ?? '?'}` : 'never'}</td>
            <td>
              {t.status === 'active' && (
                <button onClick={() => revoke(t)} aria-label={`Revoke token ${t.name}`}>
                  Revoke
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const LIFETIMES = ['7d', '30d', '90d', '365d'];

/** The caller's own tokens: create one (shown once, with a copy button), list them, revoke. */
export function MyApiTokens() {
  const { items, error, run } = useAdminList<ApiToken>('/api/v1/users/me/tokens');
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const create = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    void run(async () => {
      const answer = await api<{ name: string; token: string }>('POST', '/api/v1/users/me/tokens', {
        name: data.get('name'),
        expires_in: data.get('expires_in'),
      });
      setCopied(false);
      setCreated(answer);
      form.reset();
    });
  };
  const copy = () => {
    if (!created) return;
    void navigator.clipboard.writeText(created.token).then(() => setCopied(true));
  };
  return (
    <section aria-labelledby="api-tokens">
      <h2 id="api-tokens">API tokens</h2>
      <p>
        For scripts and the <code>streamspace</code> command: send one as <code>Authorization: Bearer</code>, or store
        it with <code>streamspace login --token</code>.
      </p>
      <Notice message={error ? { error: true, text: error } : null} />
      <form className="inline" onSubmit={create}>
        <input name="name" required maxLength={100} placeholder="what it is for" aria-label="Token name" />
        <select name="expires_in" aria-label="Expires in" defaultValue="90d">
          {LIFETIMES.map((l) => (
            <option key={l} value={l}>
              expires in {l}
            </option>
          ))}
        </select>
        <button type="submit">Create token</button>
      </form>
      {created && (
        <div role="status" className="new-token">
          <p>
            Token <strong>{created.name}</strong> created. Copy it now: it is not shown again.
          </p>
          <input readOnly value={created.token} aria-label="New API token" onFocus={(e) => e.currentTarget.select()} />
          <button onClick={copy}>{copied ? 'Copied' : 'Copy'}</button>
          <button onClick={() => setCreated(null)}>Done</button>
        </div>
      )}
      <TokenTable
        caption="Your API tokens"
        tokens={items}
        revoke={(t) => void run(() => api('DELETE', `/api/v1/users/me/tokens/${t.id}`))}
      />
    </section>
  );
}

/** Admin: one user's tokens, each revocable. */
export function UserApiTokens({ userId, username }: { userId: string; username: string }) {
  const { items, error, run } = useAdminList<ApiToken>(`/api/v1/tokens?user_id=${encodeURIComponent(userId)}`);
  return (
    <div>
      <Notice message={error ? { error: true, text: error } : null} />
      <TokenTable
        caption={`API tokens of ${username}`}
        tokens={items}
        revoke={(t) => void run(() => api('DELETE', `/api/v1/tokens/${t.id}`))}
      />
    </div>
  );
}
