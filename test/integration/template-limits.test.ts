import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { forEachDatabase, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { waitFor } from '../support/wait-for.js';

/** Per-template overrides of SESSION_IDLE_TIMEOUT and SESSION_MAX_LIFETIME (issue 13, migration 0018). */
forEachDatabase('template idle timeout and lifetime', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;

  before(async () => {
    fresh = await target.fresh();
    cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  });
  after(async () => {
    await cp.stop();
    await fresh.close();
  });

  test('set as durations, shown as durations, stored as seconds; null goes back to the setting', async () => {
    const created = await cp.api('POST', '/api/v1/templates', {
      body: {
        name: 'limited',
        display_name: 'Limited',
        image: 'example/limited:1',
        idle_timeout: '45m',
        max_lifetime: '2d',
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.idle_timeout, '45m');
    assert.equal(created.body.max_lifetime, '2d');
    const row = await cp.cp.database.db
      .selectFrom('templates')
      .select(['idle_timeout_s', 'max_lifetime_s'])
      .where('name', '=', 'limited')
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { idle_timeout_s: 2700, max_lifetime_s: 172_800 });

    const changed = await cp.api('PATCH', '/api/v1/templates/limited', { body: { idle_timeout: '0s' } });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.idle_timeout, '0s', 'off for this template');
    assert.equal(changed.body.max_lifetime, '2d', 'untouched');
    const cleared = await cp.api('PATCH', '/api/v1/templates/limited', { body: { max_lifetime: null } });
    assert.equal(cleared.body.max_lifetime, null);

    const seeded = await cp.api('GET', '/api/v1/templates/xterm');
    assert.deepEqual([seeded.body.idle_timeout, seeded.body.max_lifetime], [null, null]);
  });

  test('a bad duration is refused with what was wrong', async () => {
    for (const idle_timeout of ['soon', '30', '400d', '1500ms']) {
      const refused = await cp.api('PATCH', '/api/v1/templates/xterm', { body: { idle_timeout } });
      assert.equal(refused.status, 400, idle_timeout);
      assert.match(refused.body.message, /^idle_timeout: expected a duration in whole seconds up to 365d/);
    }
    assert.equal((await cp.api('PATCH', '/api/v1/templates/xterm', { body: { max_lifetime: 5 } })).status, 400);
  });

  test("a template's idle timeout overrides SESSION_IDLE_TIMEOUT for its sessions only", async () => {
    const created = await cp.api('POST', '/api/v1/templates', {
      body: { name: 'brief', display_name: 'Brief', image: 'example/brief:1', idle_timeout: '1m' },
    });
    assert.equal(created.status, 201);
    /** A session on `template` running for two minutes with nobody at it, as an agent would leave it. */
    const idleFor2m = async (template: string) => {
      const id = (await cp.api('POST', '/api/v1/sessions', { body: { template } })).body.id as string;
      await cp.cp.database.db
        .updateTable('sessions')
        .set({ state: 'running', state_changed_at: sql<Date>`NOW() - INTERVAL '2 minutes'` })
        .where('id', '=', id)
        .execute();
      return id;
    };
    const brief = await idleFor2m('brief');
    const usual = await idleFor2m('xterm');
    const state = async (id: string) =>
      (await cp.api('GET', `/api/v1/sessions/${id}`)).body as { state: string; state_reason: string };
    // Every replica's maintenance tick (about a second) applies the policy.
    const hibernated = await waitFor('the brief template’s session hibernates', async () => {
      const s = await state(brief);
      return s.state !== 'running' && s;
    });
    assert.equal(hibernated.state, 'hibernating');
    assert.match(hibernated.state_reason, /idle for 1m/);
    assert.equal((await state(usual)).state, 'running', 'SESSION_IDLE_TIMEOUT (30m) still applies to the others');
  });
});
