import type Docker from 'dockerode';
import type { TestControlPlane } from './control-plane.js';
import { execIn } from './podman.js';
import { openViewer, ticketPath, type TestViewer } from './vnc-viewer.js';
import { waitFor } from './wait-for.js';

/**
 * A view-only viewer and then a control viewer of the session type a `touch` each into its xterm.
 * The control viewer types after the watcher on the same desktop: once its file exists, the
 * watcher's keys (sent earlier, on a stream that stays open) would have arrived too. Returns
 * whether the watcher's file exists, and both viewers (still open).
 */
export async function typeFromViewAndControl(
  cp: TestControlPlane,
  docker: Docker,
  container: string,
  sessionId: string,
  tag: string,
): Promise<{ viewOnlyTyped: boolean; watcher: TestViewer; owner: TestViewer }> {
  const fileExists = async (path: string) =>
    (await execIn(docker, container, `test -e ${path} && echo yes || echo no`)).trim() === 'yes';
  const watcher = await openViewer(cp, await ticketPath(cp, sessionId, 'view'));
  watcher.point(watcher.width / 2, watcher.height / 2);
  watcher.type(`touch /tmp/${tag}-from-view-only\n`);
  const owner = await openViewer(cp, await ticketPath(cp, sessionId, 'control'));
  owner.point(owner.width / 2, owner.height / 2);
  owner.type(`touch /tmp/${tag}-from-control\n`);
  await waitFor("the control viewer's command ran", () => fileExists(`/tmp/${tag}-from-control`), 15_000, 200);
  return { viewOnlyTyped: await fileExists(`/tmp/${tag}-from-view-only`), watcher, owner };
}
