import type { Page } from 'playwright-core';

/** What the probes installed in a page have counted since it loaded. */
export interface PageCounts {
  /** Bytes of VNC WebSocket messages received (payloads: the wire adds 2-14 bytes of framing each). */
  bytes: number;
  /** Frames noVNC drew onto the visible canvas. */
  frames: number;
  /** VNC WebSockets opened (a reconnect opens another). */
  sockets: number;
}

interface Probes extends PageCounts {
  arm(): void;
  echo?: Promise<number>;
}

/**
 * Runs in the page before any of its scripts (page.addInitScript), so it sees noVNC whichever page
 * loads it (the StreamSpace viewer or the bench's minimal page) without reaching into either:
 *
 * - bytes: every WebSocket the page opens (but the API's) gets a first 'message' listener that adds
 *   up the payload sizes;
 * - frames: noVNC draws each completed FramebufferUpdate by one `drawImage` of its back buffer onto
 *   the visible canvas (display.js `flip()`); that call on a canvas in the document is a frame;
 * - echo: `arm()` snapshots the visible canvas; the next key the page receives starts a clock
 *   (the event's own timestamp), and the first frame after it that changes any pixel stops it. The
 *   time is taken as `drawImage` returns, so it is the moment the glyph is on the canvas, before the
 *   browser composites the page, which costs every path the same.
 */
export function installProbes(): void {
  const probes: Probes = { bytes: 0, frames: 0, sockets: 0, arm: () => undefined };
  (window as unknown as { __bench: Probes }).__bench = probes;

  // A native socket with one more listener, not a subclass: noVNC checks that a socket's own
  // prototype has WebSocket's methods (websock.js attach), which a subclass's has not.
  const Native = window.WebSocket;
  const Counting = function (url: string | URL, protocols?: string | string[]) {
    const socket = new Native(url, protocols);
    if (!String(url).includes('/api/')) {
      probes.sockets += 1;
      socket.addEventListener('message', (event: MessageEvent) => {
        const data = event.data as ArrayBuffer | Blob | string;
        probes.bytes += typeof data === 'string' ? data.length : data instanceof Blob ? data.size : data.byteLength;
      });
    }
    return socket;
  } as unknown as typeof WebSocket;
  Object.assign(Counting, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3, prototype: Native.prototype });
  window.WebSocket = Counting;

  let waiting: { snapshot: Uint32Array; keyAt?: number; resolve(ms: number): void } | undefined;
  const visibleCanvas = () => document.querySelector('.screen canvas') as HTMLCanvasElement;
  const pixels = (canvas: HTMLCanvasElement) =>
    new Uint32Array(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data.buffer);

  probes.arm = () => {
    const canvas = visibleCanvas();
    probes.echo = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => ((waiting = undefined), reject(new Error('no echo within 5 s'))), 5000);
      waiting = { snapshot: pixels(canvas), resolve: (ms) => (clearTimeout(timer), resolve(ms)) };
    });
  };
  window.addEventListener(
    'keydown',
    (event) => {
      if (waiting && waiting.keyAt === undefined) waiting.keyAt = event.timeStamp;
    },
    { capture: true },
  );

  const draw = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (this: CanvasRenderingContext2D, ...args: unknown[]) {
    const result = (draw as (...a: unknown[]) => void).apply(this, args);
    if (args.length === 9 && args[0] instanceof HTMLCanvasElement && this.canvas.isConnected) {
      const drawnAt = performance.now();
      probes.frames += 1;
      if (waiting?.keyAt !== undefined) {
        const now = pixels(this.canvas);
        const before = waiting.snapshot;
        let changed = now.length !== before.length;
        for (let i = 0; !changed && i < now.length; i++) changed = now[i] !== before[i];
        if (changed) {
          const { keyAt, resolve } = waiting;
          waiting = undefined;
          resolve(drawnAt - keyAt);
        }
      }
    }
    return result;
  } as typeof draw;
}

export const readCounts = (page: Page): Promise<PageCounts> =>
  page.evaluate(() => {
    const { bytes, frames, sockets } = (window as unknown as { __bench: PageCounts }).__bench;
    return { bytes, frames, sockets };
  });

/** Presses `key` and returns the ms from the page receiving it to its echo being drawn. */
export async function timeEcho(page: Page, key: string): Promise<number> {
  await page.evaluate(() => (window as unknown as { __bench: Probes }).__bench.arm());
  const echo = page.evaluate(() => (window as unknown as { __bench: Probes }).__bench.echo!);
  await page.keyboard.press(key);
  return echo;
}
