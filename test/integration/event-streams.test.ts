import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { forEachDatabase, sharedPostgres, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { openEvents, type EventStream } from '../support/event-stream.js';
import { waitFor } from '../support/wait-for.js';

/** A stream that the control plane accepted, opened once a slot is free (the slot is freed in the database). */
const openWhenFree = (cp: TestControlPlane, token: string) =>
  waitFor('a live-update stream slot to be free', async () => {
    const stream = await openEvents(cp, token);
    return stream.status === 200 ? stream : undefined;
  });

const queriesRun = async (cp: TestControlPlane) => {
  const match = /^streamspace_session_event_queries_total (\d+)$/m.exec(await cp.metrics());
  assert.ok(match, 'the metrics listener exports streamspace_session_event_queries_total');
  return Number(match[1]);
};

// USER_MAX_EVENT_STREAMS holds across replicas: the streams are counted in PostgreSQL.
describe('live-update stream cap across two replicas over one PostgreSQL', () => {
  const LIMIT = 3;
  /** How long an unrefreshed row counts: short, so a dead replica's rows lapse within the test. */
  const LIVE_MS = 3_000;
  let a: TestControlPlane;
  let b: TestControlPlane;
  const streams: EventStream[] = [];
  const open = async (cp: TestControlPlane, token: string) => {
    const stream = await openEvents(cp, token);
    streams.push(stream);
    return stream;
  };

  before(async () => {
    const url = await (await sharedPostgres()).createDatabase('streams');
    const fresh = { kind: 'postgres' as const, url, close: async () => undefined };
    const env = { USER_MAX_EVENT_STREAMS: String(LIMIT) };
    [a, b] = await Promise.all([
      startTestControlPlane(fresh, { env: { ...env, REPLICA_ID: 'replica-a' }, start: { eventStreamLiveMs: LIVE_MS } }),
      startTestControlPlane(fresh, { env: { ...env, REPLICA_ID: 'replica-b' }, start: { eventStreamLiveMs: LIVE_MS } }),
    ]);
    await a.loginAsAdmin();
    b.token = a.token;
  });
  after(async () => {
    await Promise.all(streams.map((s) => s.cancel()));
    await Promise.all([a?.stop(), b?.stop()]);
  });

  test('streams opened on replica A count on replica B; the 429 names the limit; closing one frees a slot', async () => {
    const token = await a.createUser('ursula');
    const onA = [await open(a, token), await open(a, token)];
    const onB = await open(b, token);
    assert.deepEqual(
      [...onA, onB].map((s) => s.status),
      [200, 200, 200],
    );

    for (const replica of [a, b]) {
      const refused = await open(replica, token);
      assert.equal(refused.status, 429, 'the user holds the cap across both replicas');
      assert.match(refused.body!.message, /ursula already has 3 live-update streams open/);
      assert.match(refused.body!.message, /USER_MAX_EVENT_STREAMS is 3/);
      assert.match(refused.body!.message, /close a tab/);
    }

    // A stream closed on A frees a slot that B hands out, and only one.
    await onA[0]!.cancel();
    const freed = await openWhenFree(b, token);
    streams.push(freed);
    assert.equal(freed.status, 200);
    assert.equal((await open(a, token)).status, 429);
    assert.equal((await open(b, token)).status, 429);
  });

  test('parallel opens on both replicas cannot exceed the cap together', async () => {
    const token = await a.createUser('vera');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => open(i % 2 ? a : b, token)));
    const statuses = results.map((s) => s.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, ...Array(9).fill(429)]);
  });

  test("a dead replica's streams stop counting after the bound; live streams keep counting past it", async () => {
    const token = await a.createUser('wanda');
    const live = [await open(a, token), await open(b, token)];
    assert.deepEqual(
      live.map((s) => s.status),
      [200, 200],
    );
    const { id: userId } = await a.cp.database.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', 'wanda')
      .executeTakeFirstOrThrow();
    // The row a replica leaves behind when its process dies: nothing refreshes or deletes it.
    const deadId = randomUUID();
    await a.cp.database.db
      .insertInto('event_streams')
      .values({ id: deadId, user_id: userId, replica_id: 'replica-dead' })
      .execute();
    assert.equal((await open(b, token)).status, 429, "the dead replica's fresh row still counts");

    // The row goes once no replica refreshed it for LIVE_MS: the live rows, opened before it, are
    // older than that by then and still count because their replicas refresh them.
    await waitFor(
      "the dead replica's row to be dropped",
      async () =>
        !(await a.cp.database.db.selectFrom('event_streams').select('id').where('id', '=', deadId).executeTakeFirst()),
    );
    const third = await open(b, token);
    assert.equal(third.status, 200, "the dead replica's slot is free");
    assert.equal((await open(a, token)).status, 429, 'the live streams still count after the bound');
  });
});

forEachDatabase('live-update streams on one replica', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;
  const streams: EventStream[] = [];

  before(async () => {
    fresh = await target.fresh();
    cp = await (await startTestControlPlane(fresh, { env: { USER_MAX_EVENT_STREAMS: '3' } })).loginAsAdmin();
  });
  after(async () => {
    await Promise.all(streams.map((s) => s.cancel()));
    await cp.stop();
    await fresh.close();
  });

  test('stopping the control plane ends its open streams instead of waiting for the clients to leave', async () => {
    const other = await (await startTestControlPlane(fresh, { env: { USER_MAX_EVENT_STREAMS: '3' } })).loginAsAdmin();
    const stream = await openEvents(other, other.token!);
    assert.equal(stream.status, 200);
    // Before the fix this never resolved while the stream was open.
    await other.stop();
    assert.match(await stream.ended, /event: shutdown/);
  });

  test('the cap holds and a closed stream frees its slot, counted in the database', async () => {
    const token = await cp.createUser('xena');
    const opened = [];
    for (let i = 0; i < 4; i++) opened.push(await openEvents(cp, token));
    streams.push(...opened);
    assert.deepEqual(
      opened.map((s) => s.status),
      [200, 200, 200, 429],
    );
    const rows = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM event_streams e JOIN users u ON u.id = e.user_id WHERE u.username = 'xena'`.execute(
      cp.cp.database.db,
    );
    assert.equal(rows.rows[0]!.n, 3);
    await opened[0]!.cancel();
    streams.push(await openWhenFree(cp, token));
    assert.equal((await openEvents(cp, token)).status, 429);
  });

  test('one session change runs ONE query, fanned out to every entitled stream', async () => {
    const owner = await cp.createUser('yuri');
    const created = await cp.api('POST', '/api/v1/sessions', { token: owner, body: { template: 'xterm' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    // Stopped, so the scheduler no longer touches the row: the changes below are the only ones.
    assert.equal(
      (await cp.api('PATCH', `/api/v1/sessions/${id}`, { token: owner, body: { state: 'stopped' } })).status,
      200,
    );

    // Five streams entitled to the change: three of the owner's, two of an admin's.
    const admin = await cp.createUser('zoe', 'admin');
    const entitled = [];
    for (const token of [owner, owner, owner, admin, admin]) entitled.push(await openEvents(cp, token));
    streams.push(...entitled);
    assert.deepEqual(
      entitled.map((s) => s.status),
      [200, 200, 200, 200, 200],
    );

    const change = (reason: string) =>
      cp.cp.database.db.updateTable('sessions').set({ state_reason: reason }).where('id', '=', id).execute();
    // Notifications arrive in commit order: once every stream has the barrier, any earlier change's
    // query has been counted, so the baseline below is exact.
    await change('fan-out barrier');
    await Promise.all(entitled.map((s) => s.received('fan-out barrier')));
    const before = await queriesRun(cp);

    await change('fan-out probe');
    await Promise.all(entitled.map((s) => s.received('fan-out probe')));
    assert.equal(await queriesRun(cp), before + 1, 'one query for the change, not one per stream');
  });
});
