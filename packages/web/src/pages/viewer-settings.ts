import type RFB from '@novnc/novnc';

/** How the remote desktop meets the window: scaled to fit, pixel for pixel, or resized to match. */
export type Scaling = 'fit' | 'one-to-one' | 'remote';

/** The viewer's display choices, remembered in this browser (localStorage) across sessions. */
export interface ViewerSettings {
  scaling: Scaling;
  /** noVNC qualityLevel, 0-9: JPEG quality of Tight-encoded updates (lower: less bandwidth). */
  quality: number;
  /** noVNC compressionLevel, 0-9: zlib effort on the server (higher: less bandwidth, more CPU). */
  compression: number;
}

const STORAGE_KEY = 'streamspace-viewer-settings';
/**
 * Quality 4, compression 2, chosen with `bench:viewer` (README, "Viewer"): on a desktop redrawn in
 * many colours, quality 4 (Xvnc's JPEG at 62 with 4:2:2 chroma) sent ~40% fewer bytes per frame than
 * noVNC's own 6 (JPEG 79, full chroma) at the same frame rate; 8 and 9 sent 2.5-9 times as many
 * and lost frames to decoding in the browser; 2 saved another fifth at a blockier JPEG (41, 4:2:0
 * chroma). Xvnc sends text and flat areas losslessly (palettes), and refreshes a region that
 * stops changing losslessly too, so the lower level shows only while things move. Compression above 2 saved nothing measurable on
 * JPEG-encoded frames (zlib does not apply to them); 0 sent more. Remote resize keeps the desktop's
 * pixels 1:1 with the window, which is what the viewer did before it had a choice.
 */
export const DEFAULT_SETTINGS: ViewerSettings = { scaling: 'remote', quality: 4, compression: 2 };

const level = (value: unknown, fallback: number) =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 9 ? (value as number) : fallback;

/** The remembered settings; anything missing or out of range (an older or edited entry) takes its default. */
export function loadSettings(): ViewerSettings {
  let stored: Partial<ViewerSettings> = {};
  try {
    stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Partial<ViewerSettings>;
  } catch {
    // unreadable: defaults
  }
  return {
    scaling: ['fit', 'one-to-one', 'remote'].includes(stored.scaling as string)
      ? stored.scaling!
      : DEFAULT_SETTINGS.scaling,
    quality: level(stored.quality, DEFAULT_SETTINGS.quality),
    compression: level(stored.compression, DEFAULT_SETTINGS.compression),
  };
}

export function saveSettings(settings: ViewerSettings): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
}

/**
 * Applies the settings to a live connection: noVNC sends new encodings (quality, compression) at
 * once, without reconnecting. A share's guest never resizes the owner's desktop, so "remote" falls
 * back to fit for them.
 */
export function applySettings(rfb: RFB, settings: ViewerSettings, mayResize: boolean): void {
  const scaling = settings.scaling === 'remote' && !mayResize ? 'fit' : settings.scaling;
  rfb.scaleViewport = scaling === 'fit';
  rfb.clipViewport = false;
  rfb.resizeSession = scaling === 'remote';
  rfb.qualityLevel = settings.quality;
  rfb.compressionLevel = settings.compression;
}
