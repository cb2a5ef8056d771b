import { ConflictError } from '../errors.js';

/**
 * A pool session nobody has claimed is nobody's desktop yet: no one (an admin included) views it,
 * shares it or moves files through it, so the user who claims it gets it as it started, with no
 * viewer having typed into it and no share link pointing at it.
 */
export function refuseUnclaimed(session: { warm_pool: boolean }, what: string): void {
  if (session.warm_pool)
    throw new ConflictError(
      `This is a warm-pool session no user has claimed yet; it cannot be ${what}. Start the template to get one of your own`,
      'session_in_warm_pool',
    );
}
