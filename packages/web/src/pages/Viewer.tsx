import { useCallback, useEffect, useRef, useState } from 'react';
import { Alert, Badge, Button, Paper } from '@mantine/core';
import { api } from '../api.js';
import { SessionProgress } from './session-progress.js';
import { useViewerConnection } from './viewer-connection.js';
import { ConnectionIndicator } from './viewer-indicator.js';
import { VIEWER_TOOLBAR_ITEMS, type ViewerControls } from './viewer-items.js';
import { applySettings, loadSettings, saveSettings, type ViewerSettings } from './viewer-settings.js';
import { watchStats, type ViewerStats } from './viewer-stats.js';
import { ViewerToolbar } from './viewer-toolbar.js';
import { FilePanel } from './viewer-files.js';
import './viewer.css';

/**
 * The desktop in the tab, filling the window: the remote screen (noVNC, see viewer-connection.ts
 * for connecting, reconnecting and resuming), the auto-hiding toolbar over it (viewer-toolbar.tsx,
 * its items in viewer-items.tsx), the idle warning whose "Keep working" counts as activity, and
 * start-up progress while a resumed session starts. With `shareToken` it is a share's guest.
 */
export function Viewer({ sessionId, shareToken }: { sessionId?: string; shareToken?: string }) {
  const screen = useRef<HTMLDivElement>(null);
  const [page, setPage] = useState<HTMLElement | null>(null);
  const connection = useViewerConnection(screen, sessionId, shareToken);
  const { status, setStatus, shared, live, starting, warning } = connection;
  const connected = status === 'connected';
  const [settings, setSettings] = useState<ViewerSettings>(loadSettings);
  const [clipboard, setClipboard] = useState('');
  const [stats, setStats] = useState<ViewerStats | undefined>();
  const [fullscreen, setFullscreen] = useState(false);
  const [filesOpen, setFilesOpen] = useState(false);

  // Settings reach each new connection and every change reaches the live one (noVNC applies them
  // without reconnecting).
  useEffect(() => {
    if (live) applySettings(live.rfb, settings, !shareToken);
  }, [live, settings, shareToken]);

  useEffect(() => {
    if (!live || !connected) return setStats(undefined);
    return watchStats(live.rfb, live.socket, setStats);
  }, [live, connected]);

  useEffect(() => {
    if (connection.remoteClipboard) setClipboard(connection.remoteClipboard.text);
  }, [connection.remoteClipboard]);

  useEffect(() => {
    const onChange = () => setFullscreen(document.fullscreenElement !== null);
    document.addEventListener('fullscreenchange', onChange);
    return () => document.removeEventListener('fullscreenchange', onChange);
  }, []);

  const focusRemote = useCallback(() => live?.rfb.focus({ preventScroll: true }), [live]);

  const controls: ViewerControls = {
    sessionId: connection.liveId,
    rfb: live?.rfb ?? null,
    connected,
    shareMode: shared?.mode,
    clipboard,
    setClipboard,
    settings,
    changeSettings: (next) => {
      setSettings(next);
      saveSettings(next);
    },
    fullscreen,
    toggleFullscreen: () => void (document.fullscreenElement ? document.exitFullscreen() : page?.requestFullscreen()),
    reconnect: connection.reconnect,
    disconnect: () => {
      live?.rfb.disconnect();
      location.hash = '#/';
    },
    filesOpen,
    toggleFiles: () => setFilesOpen((open) => !open),
  };
  const mayTransfer = connection.liveId !== undefined && shared?.mode !== 'view';

  return (
    <main className="viewer-page" ref={setPage}>
      <ViewerToolbar
        items={VIEWER_TOOLBAR_ITEMS}
        controls={controls}
        pinned={!connected}
        focusRemote={focusRemote}
        portalTarget={page}
      >
        <ConnectionIndicator status={status} stats={stats} />
        {shared && (
          <Badge color="orange" variant="light" data-share-mode={shared.mode} className="viewer-share-badge">
            {shared.mode === 'view' ? 'view only' : 'shared control'} · {shared.owner}’s desktop
          </Badge>
        )}
      </ViewerToolbar>
      {starting ? (
        <Paper className="viewer-starting" p="md" shadow="md" withBorder>
          <SessionProgress session={starting} />
        </Paper>
      ) : null}
      {warning ? (
        <Alert className="viewer-alert" color="yellow" title="Idle session" withCloseButton={false}>
          This session hibernates at {new Date(warning.hibernate_at).toLocaleTimeString()} ({warning.reason}).{' '}
          {/* A view-only guest's input is no activity; only the owner or a control viewer can keep it awake. */}
          {shared?.mode !== 'view' && (
            <Button
              size="xs"
              mt="xs"
              display="block"
              onClick={() =>
                void api('POST', `/api/v1/sessions/${connection.liveId}/activity`)
                  .then(() => connection.dismissWarning())
                  .catch((error: Error) => setStatus(`keep working failed: ${error.message}`))
              }
            >
              Keep working
            </Button>
          )}
        </Alert>
      ) : null}
      <div className="screen viewer-screen" ref={screen} />
      {mayTransfer && (
        <FilePanel
          sessionId={connection.liveId!}
          shareToken={shareToken}
          dropTarget={screen}
          hidden={!filesOpen}
          onDrop={() => setFilesOpen(true)}
          onClose={() => {
            setFilesOpen(false);
            focusRemote();
          }}
        />
      )}
    </main>
  );
}
