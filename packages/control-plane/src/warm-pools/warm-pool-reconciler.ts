import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { clipReason } from '@streamspace/protocol';
import type { Schema, Template } from '../db/schema.js';
import {
  anyWarmPoolWork,
  clearWarmPoolFailures,
  insertWarmSession,
  listWarmPoolFailures,
  listWarmSessions,
  recordWarmPoolFailure,
  takeFailedWarmSessions,
} from '../db/queries/warm-pools.js';
import type { CommandDispatcher } from '../dispatcher/command-dispatcher.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { markSessionDeleted } from '../sessions/session-delete.js';
import { planWarmPool, retryDelayMs, type PoolSession } from './warm-pool-plan.js';
import { warmSpec } from './warm-spec.js';
import { CoalescedPass } from '../coalesced-pass.js';

/** One replica at a time decides what every pool needs; the others skip the pass. */
export const WARM_POOL_LOCK_KEY = 727_310_021;
/** How long after a claim its replacement is started (the maintenance tick would within a second too). */
export const CLAIM_REFILL_DELAY_MS = 1000;

export interface WarmPoolReconcilerOptions {
  db: Kysely<Schema>;
  scheduler: Scheduler;
  dispatcher: CommandDispatcher;
  logger: Logger;
}

/**
 * Keeps each template's warm pool at its size: counts failed pool starts (and backs off), drains
 * sessions of deleted or changed templates and of shrunk pools, and inserts new pool sessions for
 * the scheduler to place like any other. Runs from the maintenance loop on every replica and when
 * a claim or a template change asks (kick); a pass holds a transaction-scoped advisory lock, taken
 * with try, so replicas never top up the same pool twice, and every drain is guarded on the session
 * still being unclaimed.
 */
export class WarmPoolReconciler {
  readonly #passes = new CoalescedPass(async () => {
    if (await this.#pass()) await this.o.scheduler.placePending();
  });
  #stopped = false;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(private readonly o: WarmPoolReconcilerOptions) {}

  /**
   * Runs a pass after `delayMs`, without waiting for it. A claim asks with CLAIM_REFILL_DELAY_MS so
   * the replacement's start (a scheduler pass, a container booting, on PGlite the one connection)
   * does not compete with the claiming user's first frame.
   */
  kick(delayMs = 0): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.run().catch((error: unknown) => this.o.logger.error({ err: error }, 'warm pool pass failed'));
    }, delayMs);
    this.#timers.add(timer);
  }

  /** One pass; calls during a pass coalesce into one more. */
  run(): Promise<void> {
    return this.#passes.run();
  }

  /** Whether anything was inserted or drained (then placement runs). */
  async #pass(): Promise<boolean> {
    const { db, dispatcher, logger } = this.o;
    if (!(await anyWarmPoolWork(db))) return false;
    return db.transaction().execute(async (trx) => {
      const lock = await sql<{
        locked: boolean;
      }>`SELECT pg_try_advisory_xact_lock(${WARM_POOL_LOCK_KEY}) AS locked`.execute(trx);
      if (!lock.rows[0]?.locked) return false;
      let changed = false;

      for (const failed of await takeFailedWarmSessions(trx)) {
        changed = true;
        const reason = failed.state_reason ?? 'failed without a reason';
        if (failed.agent_id)
          await dispatcher.enqueueIn(trx, {
            agentUuid: failed.agent_id,
            sessionId: failed.id,
            type: 'delete_session',
            data: {},
          });
        if (!failed.template_id) continue;
        const failures = await recordWarmPoolFailure(trx, failed.template_id, clipReason(reason), retryDelayMs);
        logger.warn(
          { sessionId: failed.id, templateId: failed.template_id, failures, reason },
          `warm pool session failed; next start in ${retryDelayMs(failures) / 1000}s`,
        );
      }

      const templates = new Map<string, Template>(
        (await trx.selectFrom('templates').selectAll().execute()).map((t) => [t.id, t]),
      );
      const byTemplate = new Map<string | null, PoolSession[]>();
      for (const s of await listWarmSessions(trx)) {
        const key = s.template_id && templates.has(s.template_id) ? s.template_id : null;
        byTemplate.set(key, [...(byTemplate.get(key) ?? []), s]);
      }
      const backoff = new Map((await listWarmPoolFailures(trx)).map((f) => [f.template_id, f]));
      // A pool session that reached running ends its template's backoff.
      const recovered = [...backoff.keys()].filter((id) =>
        (byTemplate.get(id) ?? []).some((s) => s.state === 'running'),
      );
      await clearWarmPoolFailures(trx, recovered);
      for (const id of recovered) backoff.delete(id);

      const pools = new Set<string | null>([
        ...byTemplate.keys(),
        ...[...templates.values()].filter((t) => t.warm_pool > 0).map((t) => t.id),
      ]);
      const now = new Date();
      for (const templateId of pools) {
        const template = templateId ? templates.get(templateId) : undefined;
        const spec = template ? warmSpec(template) : '';
        const plan = planWarmPool(
          template && { warm_pool: template.warm_pool, persistent_home: template.persistent_home, spec },
          byTemplate.get(templateId) ?? [],
          templateId ? backoff.get(templateId) : undefined,
          now,
        );
        for (const drain of plan.drain) {
          const session = await trx
            .selectFrom('sessions')
            .select(['id', 'state', 'agent_id'])
            .where('id', '=', drain.id)
            .executeTakeFirst();
          if (!session) continue;
          const reason = `drained from the warm pool: ${drain.reason}`;
          if (await markSessionDeleted(trx, dispatcher, session, reason, { warmPool: true })) {
            changed = true;
            logger.info(
              { sessionId: drain.id, template: template?.name, reason: drain.reason },
              'warm pool session drained',
            );
          }
        }
        for (let i = 0; i < plan.start && template; i++) {
          await insertWarmSession(trx, template, spec);
          changed = true;
        }
        if (plan.start > 0)
          logger.info({ template: template?.name, count: plan.start }, 'warm pool sessions started ahead');
      }
      return changed;
    });
  }

  /** Waits for a pass in flight (shutdown). */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    await this.#passes.inFlight?.catch(() => undefined);
  }
}
