import { chromium, type Browser, type Page } from 'playwright-core';
import { waitFor } from './wait-for.js';

/**
 * Debian's Chromium (apt `chromium`) driven by playwright-core. The flags keep it from reaching
 * for Google's services, which this machine's closed network refuses, many at a time.
 */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
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
      ...extraArgs,
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

/** Signs in through the login form (admin or any user) and waits until the form has gone. */
export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(baseUrl);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.locator('input[name=password]').waitFor({ state: 'detached' });
}

/** Waits until the viewer's status line reads exactly `text`. */
export const viewerStatus = (page: Page, text: string, timeoutMs = 30_000) =>
  page.waitForFunction((want) => document.querySelector('[role=status]')?.textContent === want, text, {
    timeout: timeoutMs,
  });

/**
 * Brings the viewer's auto-hiding toolbar out as a mouse does (to the top edge) and returns it;
 * its buttons are then found by name (`toolbar.getByRole('button', { name: 'Clipboard' })`).
 */
export async function showViewerToolbar(page: Page) {
  const toolbar = page.getByRole('toolbar', { name: 'Viewer controls' });
  await page.mouse.move((page.viewportSize()?.width ?? 800) / 2, 1);
  await page.waitForSelector('[role=toolbar][data-shown]');
  return toolbar;
}

/**
 * Paste in: sends `command` from the viewer's clipboard panel; it becomes the session's clipboard
 * and PRIMARY selection (Xvnc sets both), which a middle click pastes into xterm. Xvnc fetches the
 * text from the browser only when xterm asks for it (RFB extended clipboard), so the paste can land
 * after the Enter that follows the click: `command` should end in `;`, so pastes that pile up on
 * one line still run, whichever Enter comes after them. Resolves once `ran()` says it ran.
 */
export async function pasteIntoXterm(page: Page, command: string, ran: () => Promise<boolean>): Promise<void> {
  const box = (await page.locator('.screen canvas').boundingBox())!;
  await (await showViewerToolbar(page)).getByRole('button', { name: 'Clipboard' }).click();
  await page.getByRole('textbox', { name: 'Clipboard' }).fill(command);
  await page.getByRole('button', { name: 'Send to remote' }).click();
  await waitFor(
    'the pasted command ran in the session',
    async () => {
      // xterm asks Xvnc for PRIMARY, which asks the browser: the first paste may come too early.
      await page.mouse.click(box.x + 200, box.y + 200, { button: 'middle' });
      await page.keyboard.press('Enter');
      return ran();
    },
    15_000,
    500,
  );
}

/**
 * Copy out: echoes `word` in xterm and double-clicks it; xterm puts the selection on CLIPBOARD,
 * Xvnc sends it to viewers, and it must show in the viewer's clipboard panel. Ctrl+C first
 * abandons a paste that arrived after the last Enter, which would otherwise prefix the command.
 */
export async function copyFromXterm(page: Page, word: string): Promise<void> {
  const box = (await page.locator('.screen canvas').boundingBox())!;
  await page.keyboard.press('Control+C');
  await page.keyboard.type(`clear; echo ${word}`);
  await page.keyboard.press('Enter');
  await waitFor(
    `"${word}" selected in the session shows in the clipboard panel`,
    async () => {
      // `clear` leaves the echoed word alone on the terminal's first line.
      await page.mouse.dblclick(box.x + 40, box.y + 9);
      await (await showViewerToolbar(page)).getByRole('button', { name: 'Clipboard' }).click();
      const text = await page.getByRole('textbox', { name: 'Clipboard' }).inputValue();
      await page.keyboard.press('Escape');
      return text.includes(word);
    },
    15_000,
    500,
  );
}
