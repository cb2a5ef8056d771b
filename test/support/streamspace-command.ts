import { fileURLToPath } from 'node:url';

/**
 * The `streamspace` command as `npm ci` links it: the file `npx streamspace` runs. Tests start it
 * with node directly rather than through npx, so that their signals (SIGTERM, SIGKILL) reach the
 * command itself and not an npm process in front of it.
 */
export const STREAMSPACE = fileURLToPath(new URL('../../../node_modules/.bin/streamspace', import.meta.url));
