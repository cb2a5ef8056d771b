import type RFB from '@novnc/novnc';
import {
  IconAdjustments,
  IconClipboard,
  IconFiles,
  IconKeyboard,
  IconMaximize,
  IconMinimize,
  IconPlugConnectedX,
  IconRefresh,
  IconTypography,
} from '@tabler/icons-react';
import { ClipboardPanel } from './viewer-clipboard.js';
import { DisplayPanel } from './viewer-display.js';
import { KeysPanel } from './viewer-keys.js';
import type { ViewerSettings } from './viewer-settings.js';
import type { ViewerToolbarItem } from './viewer-toolbar.js';
import { TypingPanel } from './viewer-typing.js';

/** What a toolbar item can see and do. */
export interface ViewerControls {
  /** The session shown (for a share's guest, known once the link is redeemed). */
  sessionId?: string;
  /** The current connection's noVNC client; null between connections. */
  rfb: RFB | null;
  connected: boolean;
  /** Set for a share's guest. */
  shareMode?: 'view' | 'control';
  clipboard: string;
  setClipboard: (text: string) => void;
  settings: ViewerSettings;
  changeSettings: (settings: ViewerSettings) => void;
  fullscreen: boolean;
  toggleFullscreen: () => void;
  reconnect: () => void;
  /** Ends the connection and goes back to the sessions page. */
  disconnect: () => void;
  /** The file panel (viewer-files.tsx) stays mounted so transfers and drops outlive its closing. */
  filesOpen: boolean;
  toggleFiles: () => void;
}

const ICON = { size: 20, 'aria-hidden': true } as const;
const viewOnly = (c: ViewerControls) => c.shareMode === 'view';
/** A touch screen (tablet, phone): its on-screen keyboard needs a text field to come up. */
const touchScreen = () => matchMedia('(any-pointer: coarse)').matches;

/**
 * The viewer's toolbar, in order. To add a control, add an entry: `action` for a button, `panel`
 * for a popover (e.g. `{ id: 'files', label: 'Files', icon: <IconFiles {...ICON} />,
 * panel: (c, done) => <FilesPanel sessionId={c.sessionId} done={done} />, panelWidth: 380 }`).
 */
export const VIEWER_TOOLBAR_ITEMS: ViewerToolbarItem<ViewerControls>[] = [
  {
    id: 'clipboard',
    label: 'Clipboard',
    icon: <IconClipboard {...ICON} />,
    panel: (c, done) => (
      <ClipboardPanel
        rfb={c.connected && !viewOnly(c) ? c.rfb : null}
        text={c.clipboard}
        setText={c.setClipboard}
        done={done}
      />
    ),
  },
  {
    id: 'keys',
    label: 'Send keys',
    icon: <IconKeyboard {...ICON} />,
    panel: (c, done) => <KeysPanel rfb={c.connected ? c.rfb : null} done={done} />,
    panelWidth: 220,
    hidden: viewOnly,
  },
  {
    id: 'typing',
    label: 'Type',
    icon: <IconTypography {...ICON} />,
    panel: (c) => <TypingPanel rfb={c.connected ? c.rfb : null} />,
    panelWidth: 300,
    hidden: (c) => viewOnly(c) || !touchScreen(),
  },
  {
    id: 'display',
    label: 'Display',
    icon: <IconAdjustments {...ICON} />,
    panel: (c) => <DisplayPanel settings={c.settings} change={c.changeSettings} mayResize={!c.shareMode} />,
  },
  {
    id: 'files',
    label: (c) => (c.filesOpen ? 'Hide files' : 'Files'),
    icon: <IconFiles {...ICON} />,
    action: (c) => c.toggleFiles(),
    // A view-only guest may not transfer (the API refuses too); a guest's session id comes with the link.
    hidden: (c) => viewOnly(c) || !c.sessionId,
  },
  {
    id: 'fullscreen',
    label: (c) => (c.fullscreen ? 'Exit fullscreen' : 'Fullscreen'),
    icon: (c) => (c.fullscreen ? <IconMinimize {...ICON} /> : <IconMaximize {...ICON} />),
    action: (c) => c.toggleFullscreen(),
  },
  { id: 'reconnect', label: 'Reconnect', icon: <IconRefresh {...ICON} />, action: (c) => c.reconnect() },
  { id: 'disconnect', label: 'Disconnect', icon: <IconPlugConnectedX {...ICON} />, action: (c) => c.disconnect() },
];
