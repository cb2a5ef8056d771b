import { useEffect, useRef, useState } from 'react';
import RFB from '@novnc/novnc';
import { api } from '../api.js';

/** Close codes after which the stream can come back by itself: agent offline, tunnel not opened in
 * time, stream dropped by the agent, abnormal closure. */
const RETRYABLE = new Set([4503, 4504, 4505, 1006]);
const RETRY_MS = 2000;

/**
 * The desktop in the tab: noVNC drives a WebSocket we open ourselves, so the close code and reason
 * the control plane sends ("session stopped", "agent offline", …) can be shown.
 */
export function Viewer({ sessionId }: { sessionId: string }) {
  const screen = useRef<HTMLDivElement>(null);
  const rfbRef = useRef<RFB | null>(null);
  const [status, setStatus] = useState('connecting…');
  const [attempt, setAttempt] = useState(0);
  const [clipboard, setClipboard] = useState('');

  useEffect(() => {
    let rfb: RFB | undefined;
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    void (async () => {
      try {
        const { path } = await api<{ path: string }>('POST', `/api/v1/sessions/${sessionId}/connect`);
        if (cancelled) return;
        const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`, [
          'binary',
        ]);
        socket.addEventListener('close', (event) => {
          if (cancelled) return;
          const reason = event.reason || `code ${event.code}`;
          if (RETRYABLE.has(event.code)) {
            // The agent (or the network) went away, not the session: try again until it is back.
            setStatus(`disconnected: ${reason}; reconnecting…`);
            retry = setTimeout(() => setAttempt((n) => n + 1), RETRY_MS);
          } else {
            setStatus(`disconnected: ${reason}`);
          }
        });
        rfb = new RFB(screen.current!, socket);
        rfb.scaleViewport = true;
        rfb.resizeSession = true;
        rfb.addEventListener('connect', () => setStatus('connected'));
        rfb.addEventListener('clipboard', (event) => {
          const text = (event as CustomEvent<{ text: string }>).detail.text;
          setClipboard(text);
          void navigator.clipboard?.writeText(text).catch(() => undefined);
        });
        rfbRef.current = rfb;
      } catch (e) {
        setStatus(`cannot connect: ${(e as Error).message}`);
      }
    })();
    return () => {
      cancelled = true;
      clearTimeout(retry);
      rfb?.disconnect();
      rfbRef.current = null;
    };
  }, [sessionId, attempt]);

  return (
    <main className="viewer">
      <header>
        <a href="#/">← Sessions</a>
        <span className="status" role="status">
          {status}
        </span>
        {(status.startsWith('disconnected') && !status.endsWith('reconnecting…')) || status.startsWith('cannot') ? (
          <button onClick={() => (setStatus('connecting…'), setAttempt((n) => n + 1))}>Reconnect</button>
        ) : null}
        <button onClick={() => void screen.current?.requestFullscreen()}>Fullscreen</button>
        <input
          aria-label="Clipboard"
          value={clipboard}
          onChange={(e) => setClipboard(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && rfbRef.current?.clipboardPasteFrom(clipboard)}
          placeholder="clipboard: type and press Enter to send"
        />
      </header>
      <div className="screen" ref={screen} />
    </main>
  );
}
