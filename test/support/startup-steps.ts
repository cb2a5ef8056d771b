import type { Page } from 'playwright-core';

/**
 * Starts recording every start-up step the page shows with a progress bar inside `scope` (a CSS
 * selector): steps come and go within a second or two, so a MutationObserver catches them as the
 * live stream delivers them. `steps()` returns what was seen, in order.
 */
export async function recordStartupSteps(page: Page, scope: string): Promise<{ steps: () => Promise<string[]> }> {
  await page.evaluate((within) => {
    const seen: string[] = ((window as unknown as { steps: string[] }).steps = []);
    new MutationObserver(() => {
      document.querySelectorAll(`${within} [data-step]`).forEach((el) => {
        const step = el.getAttribute('data-step')!;
        if (el.querySelector('[role=progressbar]') && seen.at(-1) !== step) seen.push(step);
      });
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  }, scope);
  return { steps: () => page.evaluate(() => (window as unknown as { steps: string[] }).steps) };
}
