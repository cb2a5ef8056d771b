import { createHash } from 'node:crypto';
import type { Template } from '../db/schema.js';

/** The user that owns pool sessions until one is claimed (migration 0021 creates the row). */
export const WARM_POOL_OWNER_ID = '00000000-0000-4000-8000-00000000a001';
/** Its name: outside what the API and single sign-on accept, so no real account can carry it. */
export const WARM_POOL_OWNER = '(warm pool)';
/** The most sessions one template may keep warm: each holds a slot and memory on an agent. */
export const WARM_POOL_MAX = 50;

/**
 * What a session was started from, as one string: everything in the start command that shapes the
 * container (image, limits, env, VNC port) and where it may run (platform). A pool session whose
 * template no longer has this fingerprint is drained rather than handed to a user.
 */
export function warmSpec(
  template: Pick<
    Template,
    'image' | 'vnc_port' | 'cpu_limit' | 'memory_limit_mb' | 'env' | 'persistent_home' | 'platform'
  >,
): string {
  const env = Object.entries(template.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const shape = [
    template.image,
    template.vnc_port,
    template.cpu_limit,
    template.memory_limit_mb,
    env,
    template.persistent_home,
    template.platform,
  ];
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 32);
}
