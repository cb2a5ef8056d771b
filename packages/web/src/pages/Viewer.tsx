import { useEffect, useRef, useState } from 'react';
import RFB from '@novnc/novnc';
import { vncCloseIsRetryable } from '@streamspace/protocol/vnc-close';
import { api, ApiError, watchSessions, type IdleWarning, type Session } from '../api.js';
import { SessionProgress } from './session-progress.js';
import { viewerWaits } from '@streamspace/protocol/session-state-groups';
import { FilePanel } from './viewer-files.js';

/** What redeeming a share link answers (POST /api/v1/shares/{token}/connect). */
interface ShareTicket {
  path: string;
  session_id: string;
  mode: 'view' | 'control';
  owner: string;
}

/** Waits between reconnection attempts: quick at first (a replica restart), then every 5 s while
 * the session's agent is away (its pool takes it over within the heartbeat timeout). */
const BACKOFF_MS = [500, 1000, 2000, 3000, 5000];

/**
 * The desktop in the tab: noVNC drives a WebSocket we open ourselves, so the close code and reason
 * the control plane sends ("session stopped", "agent offline", …) can be shown. When the stream
 * can come back (protocol's vnc-close says which closes those are) it reconnects by itself with a
 * new ticket, showing "reconnecting…"; a click is needed only after a final close.
 * Opening a hibernated session resumes it (PATCH state running), shows its start-up progress and
 * connects once it runs. An idle warning from the live-update stream shows a banner whose "Keep
 * working" button counts as activity. With `shareToken` it is a share's guest: every ticket comes
 * from redeeming the link again, with the share's mode; the guest cannot read or resume the session.
 */
export function Viewer({ sessionId, shareToken }: { sessionId?: string; shareToken?: string }) {
  const screen = useRef<HTMLDivElement>(null);
  const rfbRef = useRef<RFB | null>(null);
  const [status, setStatus] = useState('connecting…');
  /** Set when joined through a share link: its mode and whose desktop it is. */
  const [shared, setShared] = useState<{ mode: 'view' | 'control'; owner: string; sessionId: string } | null>(null);
  /** The session shown: the route's, or the one a share link opened (known once redeemed). */
  const liveId = sessionId ?? shared?.sessionId;
  const [attempt, setAttempt] = useState(0);
  const [clipboard, setClipboard] = useState('');
  /** The session while it starts (resumed here); undefined once it runs. */
  const [starting, setStarting] = useState<Session | undefined>();
  const [warning, setWarning] = useState<IdleWarning | undefined>();
  /** Set while a resumed or starting session is waited for. */
  const waiting = useRef(false);
  const [filesOpen, setFilesOpen] = useState(false);

  // Live updates: start-up progress while resuming, connecting once running, idle warnings.
  useEffect(() => {
    // A share's guest hears only idle warnings (the owner's session updates are not theirs).
    if (!liveId) return;
    const controller = new AbortController();
    watchSessions(
      (session) => {
        if (session.id !== liveId) return;
        if (session.state === 'running') {
          setStarting(undefined);
          if (waiting.current) {
            waiting.current = false;
            setAttempt((n) => n + 1); // it was waited for: connect now
          }
        } else if (session.state === 'pending' || session.state === 'starting') setStarting(session);
        if (session.state !== 'running') setWarning(undefined);
      },
      controller.signal,
      (idle) => idle.session_id === liveId && setWarning(idle),
    );
    return () => controller.abort();
  }, [liveId]);

  useEffect(() => {
    let rfb: RFB | undefined;
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;

    const reconnectLater = (why: string) => {
      const delay = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)]!;
      failures += 1;
      setStatus(`reconnecting… (${why})`);
      retry = setTimeout(() => void connect(), delay);
    };

    /** A ticket was refused: whether to wait for the session or give up depends on its state. */
    const onTicketRefused = async (error: unknown) => {
      const status = error instanceof ApiError ? error.status : 0; // 0: the network, not the server
      // A share's guest cannot read the session; the redeem answer says its state, and it may come back.
      if (status === 409 && shareToken) return reconnectLater((error as Error).message);
      if (status === 409) {
        const session = await api<Session>('GET', `/api/v1/sessions/${sessionId}`).catch(() => undefined);
        if (session && viewerWaits(session.state)) return reconnectLater(`session is ${session.state}`);
        return setStatus(`disconnected: session is ${session?.state ?? 'gone'}`);
      }
      if (status === 0 || status >= 500) return reconnectLater((error as Error).message);
      setStatus(`cannot connect: ${(error as Error).message}`);
    };

    const connect = async () => {
      if (cancelled) return;
      // A hibernated session is resumed by opening it; one starting is waited for (the live
      // updates above connect it once it runs).
      const current = shareToken
        ? undefined
        : await api<Session>('GET', `/api/v1/sessions/${sessionId}`).catch(() => undefined);
      if (cancelled) return;
      if (current?.state === 'hibernated') {
        setStatus('resuming…');
        waiting.current = true;
        try {
          setStarting(await api<Session>('PATCH', `/api/v1/sessions/${sessionId}`, { state: 'running' }));
        } catch (error) {
          setStatus(`cannot resume: ${(error as Error).message}`);
        }
        return;
      }
      if (current?.state === 'pending' || current?.state === 'starting') {
        setStatus('starting…');
        waiting.current = true;
        setStarting(current);
        return;
      }
      let path: string;
      let viewOnly = false;
      try {
        if (shareToken) {
          const joined = await api<ShareTicket>('POST', `/api/v1/shares/${shareToken}/connect`);
          ({ path } = joined);
          viewOnly = joined.mode === 'view';
          setShared({ mode: joined.mode, owner: joined.owner, sessionId: joined.session_id });
        } else ({ path } = await api<{ path: string }>('POST', `/api/v1/sessions/${sessionId}/connect`));
      } catch (error) {
        if (!cancelled) await onTicketRefused(error);
        return;
      }
      if (cancelled) return;
      const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`, [
        'binary',
      ]);
      socket.addEventListener('close', (event) => {
        if (cancelled) return;
        const reason = event.reason || `code ${event.code}`;
        // The agent, a replica or the network went away, not the session: come back by itself.
        if (vncCloseIsRetryable(event.code)) reconnectLater(reason);
        else setStatus(`disconnected: ${reason}`);
      });
      // A previous RFB removed its canvas when its socket closed; this one brings a new one.
      rfb = new RFB(screen.current!, socket);
      rfb.scaleViewport = true;
      // A convenience only: the proxy drops a view-only guest's input whatever noVNC sends.
      rfb.viewOnly = viewOnly;
      // A guest does not resize the owner's desktop to their window (a control guest's request would still reach it).
      rfb.resizeSession = !shareToken;
      rfb.addEventListener('connect', () => {
        failures = 0;
        setStatus('connected');
      });
      rfb.addEventListener('clipboard', (event) => {
        const text = (event as CustomEvent<{ text: string }>).detail.text;
        setClipboard(text);
        void navigator.clipboard?.writeText(text).catch(() => undefined);
      });
      rfbRef.current = rfb;
    };

    void connect();
    return () => {
      cancelled = true;
      clearTimeout(retry);
      rfb?.disconnect();
      rfbRef.current = null;
    };
  }, [sessionId, shareToken, attempt]);

  return (
    <main className="viewer">
      <header>
        <a href="#/">← Sessions</a>
        {shared && (
          <span className="badge" data-share-mode={shared.mode}>
            {shared.mode === 'view' ? 'view only' : 'shared control'} · {shared.owner}’s desktop
          </span>
        )}
        <span className="status" role="status">
          {status}
        </span>
        {status.startsWith('disconnected') || status.startsWith('cannot') ? (
          <button onClick={() => (setStatus('connecting…'), setAttempt((n) => n + 1))}>Reconnect</button>
        ) : null}
        <button onClick={() => void screen.current?.requestFullscreen()}>Fullscreen</button>
        {liveId && shared?.mode !== 'view' && (
          <button aria-expanded={filesOpen} onClick={() => setFilesOpen((open) => !open)}>
            Files
          </button>
        )}
        <input
          aria-label="Clipboard"
          value={clipboard}
          onChange={(e) => setClipboard(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && rfbRef.current?.clipboardPasteFrom(clipboard)}
          placeholder="clipboard: type and press Enter to send"
        />
      </header>
      {starting ? (
        <p className="starting">
          <SessionProgress session={starting} />
        </p>
      ) : null}
      {warning ? (
        <div className="banner" role="alert">
          This session hibernates at {new Date(warning.hibernate_at).toLocaleTimeString()} ({warning.reason}).{' '}
          {/* A view-only guest's input is no activity; only the owner or a control viewer can keep it awake. */}
          {shared?.mode !== 'view' && (
            <button
              onClick={() =>
                void api('POST', `/api/v1/sessions/${liveId}/activity`)
                  .then(() => setWarning(undefined))
                  .catch((error: Error) => setStatus(`keep working failed: ${error.message}`))
              }
            >
              Keep working
            </button>
          )}
        </div>
      ) : null}
      <div className="screen" ref={screen} />
      {liveId && shared?.mode !== 'view' && (
        <FilePanel
          sessionId={liveId}
          shareToken={shareToken}
          dropTarget={screen}
          hidden={!filesOpen}
          onDrop={() => setFilesOpen(true)}
          onClose={() => setFilesOpen(false)}
        />
      )}
    </main>
  );
}
