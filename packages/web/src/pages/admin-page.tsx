import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { api } from '../api.js';

/**
 * An admin list: loads `path`, and `run(action)` performs a change then reloads, showing the API's
 * message on failure.
 */
export function useAdminList<T>(path: string) {
  const [items, setItems] = useState<T[]>([]);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    (action: () => Promise<unknown> = async () => undefined) => {
      setError(null);
      return action().then(
        () => api<T[]>('GET', path).then(setItems),
        (e: Error) => setError(e.message),
      );
    },
    [path],
  );
  useEffect(() => void run(), [run]);
  return { items, error, run };
}

export function AdminPage({ title, error, children }: { title: string; error: string | null; children: ReactNode }) {
  return (
    <main>
      <header>
        <h1>{title}</h1>
        <a href="#/">← Sessions</a>
      </header>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {children}
    </main>
  );
}
