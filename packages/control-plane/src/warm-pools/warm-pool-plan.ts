import type { SessionStateName } from '@streamspace/protocol';

/** A pool session as the plan sees it. */
export interface PoolSession {
  id: string;
  state: SessionStateName;
  warm_spec: string | null;
  created_at: Date;
}

/** A template's pool: its size and current fingerprint; undefined when the template was deleted. */
export interface PoolTemplate {
  warm_pool: number;
  persistent_home: boolean;
  spec: string;
}

/** Failed starts so far and when the next may be tried (warm_pool_failures). */
export interface PoolBackoff {
  failures: number;
  retry_at: Date;
}

export interface PoolPlan {
  /** How many new pool sessions to insert now. */
  start: number;
  /** Pool sessions to delete, each with the reason logged for it. */
  drain: Array<{ id: string; state: SessionStateName; reason: string }>;
}

/** States in which a pool session is on its way to being claimable (or is). */
const LIVE: readonly SessionStateName[] = ['pending', 'starting', 'running'];
/** The order excess sessions go in: those not yet running first, a running one last. */
const DRAIN_FIRST: Record<string, number> = { pending: 0, starting: 1, running: 2 };

export const BACKOFF_BASE_MS = 5_000;
export const BACKOFF_MAX_MS = 5 * 60_000;

/** 5 s after the first failure, doubling, at most 5 minutes: an image that cannot start is retried
 * a dozen times an hour, not every maintenance tick. */
export function retryDelayMs(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
}

/**
 * What to do with one template's pool now: drain sessions of a deleted or changed template, sessions
 * that left the live states (an admin stopped one) and any beyond the pool's size; start enough to
 * reach the size. After a failure only one start is tried at a time, and not before `retry_at`.
 */
export function planWarmPool(
  template: PoolTemplate | undefined,
  sessions: readonly PoolSession[],
  backoff: PoolBackoff | undefined,
  now: Date,
): PoolPlan {
  const drain: PoolPlan['drain'] = [];
  const fresh: PoolSession[] = [];
  for (const s of sessions) {
    if (s.state === 'failed' || s.state === 'deleted') continue; // counted and removed apart
    if (!template) drain.push({ id: s.id, state: s.state, reason: 'its template was deleted' });
    else if (s.warm_spec !== template.spec) drain.push({ id: s.id, state: s.state, reason: 'its template changed' });
    else if (!LIVE.includes(s.state)) drain.push({ id: s.id, state: s.state, reason: `left the pool (${s.state})` });
    else fresh.push(s);
  }
  const size = template && !template.persistent_home ? template.warm_pool : 0;
  const excess = [...fresh]
    .sort((a, b) => DRAIN_FIRST[a.state]! - DRAIN_FIRST[b.state]! || b.created_at.getTime() - a.created_at.getTime())
    .slice(0, Math.max(0, fresh.length - size));
  for (const s of excess) drain.push({ id: s.id, state: s.state, reason: `the pool shrank to ${size}` });
  let start = Math.max(0, size - fresh.length);
  if (start > 0 && backoff && backoff.failures > 0) {
    const probing = fresh.some((s) => s.state !== 'running');
    start = probing || now < backoff.retry_at ? 0 : 1;
  }
  return { start, drain };
}
