import { useEffect, useRef, useState } from 'react';
import RFB from '@novnc/novnc';
import { vncCloseIsRetryable } from '@streamspace/protocol/vnc-close';
import { viewerWaits } from '@streamspace/protocol/session-state-groups';
import { api, ApiError, watchSessions, type IdleWarning, type Session } from '../api.js';

/** What redeeming a share link answers (POST /api/v1/shares/{token}/connect). */
interface ShareTicket {
  path: string;
  session_id: string;
  mode: 'view' | 'control';
  owner: string;
}

/** Set when joined through a share link: its mode and whose desktop it is. */
export interface SharedView {
  mode: 'view' | 'control';
  owner: string;
  sessionId: string;
}

/** The current noVNC connection and the WebSocket it runs on (ours, so its close reason shows). */
export interface LiveConnection {
  rfb: RFB;
  socket: WebSocket;
}

/** Waits between reconnection attempts: quick at first (a replica restart), then every 5 s while
 * the session's agent is away (its pool takes it over within the heartbeat timeout). */
const BACKOFF_MS = [500, 1000, 2000, 3000, 5000];

/** Whether focus sits where the user is typing text, which connecting must not take away. */
const typingElsewhere = () => {
  const active = document.activeElement;
  return active instanceof HTMLTextAreaElement || (active instanceof HTMLInputElement && active.type !== 'radio');
};

/**
 * The desktop's connection: noVNC drives a WebSocket we open ourselves, so the close code and
 * reason the control plane sends ("session stopped", "agent offline", …) can be shown. When the
 * stream can come back (protocol's vnc-close says which closes those are) it reconnects by itself
 * with a new ticket, showing "reconnecting…"; a click is needed only after a final close.
 * Opening a hibernated session resumes it (PATCH state running), shows its start-up progress and
 * connects once it runs. Idle warnings from the live-update stream are passed on. With
 * `shareToken` it is a share's guest: every ticket comes from redeeming the link again, with the
 * share's mode; the guest cannot read or resume the session.
 * On connect the remote screen takes the keyboard (no click needed), unless the user is typing in
 * a text field of the viewer's own.
 */
export function useViewerConnection(
  screen: React.RefObject<HTMLDivElement | null>,
  sessionId?: string,
  shareToken?: string,
) {
  const [status, setStatus] = useState('connecting…');
  const [shared, setShared] = useState<SharedView | null>(null);
  /** The session shown: the route's, or the one a share link opened (known once redeemed). */
  const liveId = sessionId ?? shared?.sessionId;
  const [attempt, setAttempt] = useState(0);
  const [live, setLive] = useState<LiveConnection | null>(null);
  /** The session while it starts (resumed here); undefined once it runs. */
  const [starting, setStarting] = useState<Session | undefined>();
  const [warning, setWarning] = useState<IdleWarning | undefined>();
  const [remoteClipboard, setRemoteClipboard] = useState<{ text: string } | undefined>();
  /** Set while a resumed or starting session is waited for. */
  const waiting = useRef(false);

  // Live updates: start-up progress while resuming, connecting once running, idle warnings.
  useEffect(() => {
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
        setLive(null);
        const reason = event.reason || `code ${event.code}`;
        // The agent, a replica or the network went away, not the session: come back by itself.
        if (vncCloseIsRetryable(event.code)) reconnectLater(reason);
        else setStatus(`disconnected: ${reason}`);
      });
      // A previous RFB removed its canvas when its socket closed; this one brings a new one.
      const created = (rfb = new RFB(screen.current!, socket));
      // A convenience only: the proxy drops a view-only guest's input whatever noVNC sends.
      created.viewOnly = viewOnly;
      created.addEventListener('connect', () => {
        failures = 0;
        setStatus('connected');
        if (!typingElsewhere()) created.focus({ preventScroll: true });
      });
      created.addEventListener('clipboard', (event) => {
        const text = (event as CustomEvent<{ text: string }>).detail.text;
        setRemoteClipboard({ text });
        void navigator.clipboard?.writeText(text).catch(() => undefined);
      });
      setLive({ rfb: created, socket });
    };

    void connect();
    return () => {
      cancelled = true;
      clearTimeout(retry);
      rfb?.disconnect();
      setLive(null);
    };
  }, [sessionId, shareToken, attempt, screen]);

  return {
    status,
    setStatus,
    shared,
    liveId,
    live,
    starting,
    warning,
    dismissWarning: () => setWarning(undefined),
    /** The latest text copied in the remote (a new object each time, even for the same text). */
    remoteClipboard,
    /** Drops the current connection, if any, and connects again with a new ticket. */
    reconnect: () => {
      setStatus('connecting…');
      setAttempt((n) => n + 1);
    },
  };
}
