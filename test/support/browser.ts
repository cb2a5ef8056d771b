import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's Chromium (apt `chromium`) driven by playwright-core. The flags keep it from reaching
 * for Google's services, which this machine's closed network refuses, many at a time.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** True once the noVNC canvas shows a desktop: more than one colour among its pixels. */
export const canvasShowsDesktop = (page: Page) =>
  page.evaluate(() => {
    const canvas = document.querySelector('.screen canvas') as HTMLCanvasElement | null;
    if (!canvas || canvas.width === 0) return false;
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const first = pixels.slice(0, 4).join();
    for (let i = 4; i < pixels.length; i += 4 * 97) if (pixels.slice(i, i + 4).join() !== first) return true;
    return false;
  });

/**
 * Every text the viewer's status line shows from now until it says `connected` again: the
 * promise resolves with the list (used to see "reconnecting…" pass by without a click).
 */
export const statusesUntilConnected = (page: Page, timeoutMs: number): Promise<string[]> => {
  const shown = page.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const seen: string[] = ((window as unknown as { statusesSeen: string[] }).statusesSeen = []);
        const el = document.querySelector('[role=status]')!;
        new MutationObserver(() => {
          seen.push(el.textContent ?? '');
          if (el.textContent === 'connected') resolve(seen);
        }).observe(el, { subtree: true, childList: true, characterData: true });
      }),
  );
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    shown,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void page
          .evaluate(() => (window as unknown as { statusesSeen: string[] }).statusesSeen)
          .then((seen) =>
            reject(
              new Error(
                `the viewer did not reconnect by itself within ${timeoutMs / 1000} s; it showed ${JSON.stringify(seen)}`,
              ),
            ),
          );
      }, timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
};
