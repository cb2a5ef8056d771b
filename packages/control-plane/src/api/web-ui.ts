import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/** The built web UI (packages/web/dist), served at / with index.html for the app's own routes. */
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

export async function serveWebUi(app: FastifyInstance, dir = WEB_DIST) {
  if (!existsSync(dir)) {
    app.log.warn({ dir }, 'web UI not built; run `npm run build` (the API works without it)');
    return;
  }
  await app.register(fastifyStatic, { root: dir, prefix: '/', wildcard: false, index: 'index.html' });
}
