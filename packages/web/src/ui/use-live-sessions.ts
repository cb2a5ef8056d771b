import { useCallback, useEffect, useState } from 'react';
import { api, watchSessions, type Session } from '../api.js';
import { toastError } from './toasts.js';

/**
 * The sessions of `ownerId` (the signed-in user: an admin's API and stream carry everyone's, and
 * "My sessions" means theirs), loaded once and then kept current by the server's live stream (the
 * page never polls). `upsert` also takes answers of the caller's own requests, which may arrive
 * first. Null until loaded, and while the owner is not known yet.
 */
export function useLiveSessions(ownerId: string | undefined) {
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const upsert = useCallback(
    (session: Session) =>
      session.user_id !== ownerId
        ? undefined
        : setSessions((list) => {
            const rest = (list ?? []).filter((s) => s.id !== session.id);
            return session.state === 'deleted'
              ? rest
              : [session, ...rest].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
          }),
    [ownerId],
  );
  useEffect(() => {
    if (ownerId === undefined) return;
    const controller = new AbortController();
    api<Session[]>('GET', '/api/v1/sessions').then(
      (list) =>
        setSessions((seen) =>
          mergeLoaded(
            list.filter((s) => s.user_id === ownerId),
            seen,
          ),
        ),
      (error) => {
        setSessions((seen) => seen ?? []);
        toastError(error, 'Could not load your sessions');
      },
    );
    watchSessions(upsert, controller.signal);
    return () => controller.abort();
  }, [ownerId, upsert]);
  return { sessions, upsert };
}

/** The list as loaded, with any session the stream delivered meanwhile taking precedence. */
function mergeLoaded(loaded: Session[], seen: Session[] | null): Session[] {
  const newer = new Map((seen ?? []).map((s) => [s.id, s]));
  const merged = loaded.map((s) => newer.get(s.id) ?? s);
  for (const s of newer.values()) if (!merged.some((m) => m.id === s.id)) merged.unshift(s);
  return merged.filter((s) => s.state !== 'deleted');
}
