import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { containerName, type RunningAgent } from '@streamspace/agent';
import { forEachDatabase, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { execIn, removeAgentResources, requireContainerEngine, startDockerAgent } from '../support/podman.js';
import { waitFor } from '../support/wait-for.js';
import { downloadFile, downloadFromLink, fileSha256, uploadFile } from '../support/file-transfer.js';

// Files in and out of a real session (issue 15): control plane + a real Docker agent on podman +
// the real xterm image; the bytes go through the agent's dial-out file stream.
const MiB = 1024 * 1024;
let workDir: string;
let bigFile: string;
let bigSha: string;

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'streamspace-files-'));
  bigFile = join(workDir, 'big.bin');
  execFileSync('sh', ['-c', `head -c ${100 * MiB} /dev/urandom > "$1"`, 'sh', bigFile]);
  bigSha = await fileSha256(bigFile);
});
after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

forEachDatabase('session files', (target) => {
  const agentId = `files-it-${target.name.toLowerCase()}-${process.pid}`;
  let docker: Docker;
  let fresh: FreshDatabase;
  let cp: TestControlPlane;
  let agent: RunningAgent;
  let alice: string;
  let bob: string;
  let carol: string;
  let sessionId: string;
  let container: string;

  const waitState = (id: string, state: string) =>
    waitFor(
      `session ${id} ${state}`,
      async () => {
        const s = (await cp.api('GET', `/api/v1/sessions/${id}`, { token: alice })).body;
        if (s.state === 'failed') throw new Error(`failed: ${s.state_reason}`);
        return s.state === state ? s : undefined;
      },
      60_000,
    );
  const list = (path: string, token = alice, headers: Record<string, string> = {}) =>
    cp.api('GET', `/api/v1/sessions/${sessionId}/files?path=${encodeURIComponent(path)}`, { token, headers });
  const inSession = (command: string) => execIn(docker, container, command);
  /** Every download-link ticket minted here, to check none reaches the log. */
  const tickets: string[] = [];
  const askLink = (path: string, token = alice, headers: Record<string, string> = {}) =>
    cp.api('POST', `/api/v1/sessions/${sessionId}/files/download-link?path=${encodeURIComponent(path)}`, {
      token,
      headers,
    });
  const mintLink = async (path: string, token = alice, headers: Record<string, string> = {}) => {
    const answer = await askLink(path, token, headers);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const url = answer.body.url as string;
    tickets.push(url.slice(url.lastIndexOf('/') + 1));
    return url;
  };
  const ticketRow = (url: string) =>
    cp.cp.database.db
      .selectFrom('file_download_tickets')
      .selectAll()
      .where(
        'ticket_hash',
        '=',
        createHash('sha256')
          .update(url.slice(url.lastIndexOf('/') + 1))
          .digest('hex'),
      )
      .executeTakeFirst();
  const assertLinkGone = async (url: string) => {
    const answer = await downloadFromLink(cp.url, url);
    assert.equal(answer.status, 404, JSON.stringify(answer.body));
    assert.equal(answer.body.error, 'link_not_found');
    assert.match(answer.body.message, /unknown, already used or expired.*ask for a new link/);
  };
  const audits = (action: string) =>
    cp.cp.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', action)
      .where('target_id', '=', sessionId)
      .execute();

  before(async () => {
    docker = await requireContainerEngine();
    await removeAgentResources(docker, agentId);
    fresh = await target.fresh();
    cp = await // debug: the per-request lines are on, so the test can see a link's ticket is kept out of them.
    (
      await startTestControlPlane(fresh, {
        env: { SESSION_UPLOAD_MAX: '110MiB', SESSION_START_TIMEOUT: '2m', LOG_LEVEL: 'debug' },
      })
    ).loginAsAdmin();
    alice = await cp.createUser('alice');
    bob = await cp.createUser('bob');
    carol = await cp.createUser('carol');
    agent = await startDockerAgent(cp.url, agentId, { env: { SESSION_READY_TIMEOUT: '60s' } });
    const created = await cp.api('POST', '/api/v1/sessions', { token: alice, body: { template: 'xterm' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    sessionId = created.body.id;
    await waitState(sessionId, 'running');
    container = containerName(sessionId);
  });
  after(async () => {
    await agent?.stop();
    await cp?.stop();
    await fresh?.close();
    if (docker) await removeAgentResources(docker, agentId);
  });

  test('100 MiB up and down again: equal sha256, owned by uid 1000, listed, audited', async () => {
    const up = await uploadFile(cp.url, alice, sessionId, 'big.bin', { file: bigFile, size: 100 * MiB });
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.deepEqual(up.body, { path: '/home/user/big.bin', size: 100 * MiB });
    assert.equal((await inSession('stat -c "%u %g %s" /home/user/big.bin')).trim(), `1000 1000 ${100 * MiB}`);
    assert.equal((await inSession('sha256sum /home/user/big.bin')).split(' ')[0], bigSha);

    const down = await downloadFile(cp.url, alice, sessionId, '/home/user/big.bin');
    assert.equal(down.status, 200);
    assert.equal(down.headers['content-length'], String(100 * MiB));
    assert.match(String(down.headers['content-disposition']), /^attachment; filename="big.bin"/);
    assert.equal(down.bytes, 100 * MiB);
    assert.equal(down.sha256, bigSha);

    const listed = await list('');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.equal(listed.body.path, '/home/user');
    assert.equal(listed.body.upload_max, 110 * MiB);
    const entry = listed.body.entries.find((e: { name: string }) => e.name === 'big.bin');
    assert.equal(entry.type, 'file');
    assert.equal(entry.size, 100 * MiB);
    assert.ok(!listed.body.entries.some((e: { name: string }) => e.name.startsWith('.upload.')));

    const [upload] = await audits('session.file_upload');
    assert.equal(upload!.actor, 'alice');
    assert.deepEqual(
      { path: upload!.details.path, size: upload!.details.size, completed: upload!.details.completed },
      { path: '/home/user/big.bin', size: 100 * MiB, completed: true },
    );
    const [download] = await waitFor('download audited', async () => {
      const rows = await audits('session.file_download');
      return rows.length > 0 ? rows : undefined;
    });
    assert.equal(download!.details.size, 100 * MiB);
    assert.equal(download!.details.completed, true);
  });

  test('every way out of the home is refused with 400, naming the problem', async () => {
    await inSession(
      'ln -sfn /etc /home/user/etc-link && ln -sfn /etc/passwd /home/user/passwd-link && mkdir -p /home/user/sub',
    );
    const small = Buffer.from('hello');
    for (const path of ['../etc/passwd', 'sub/../../etc/passwd', '/home/user/../root/x']) {
      for (const answer of [
        await downloadFile(cp.url, alice, sessionId, path),
        await uploadFile(cp.url, alice, sessionId, path, small),
        await list(path),
      ]) {
        assert.equal(answer.status, 400, `${path}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error, 'bad_path');
        assert.match(answer.body.message, /uses \.\. to leave the home/);
      }
    }
    for (const path of ['/etc/passwd', '/tmp/x']) {
      const answer = await downloadFile(cp.url, alice, sessionId, path);
      assert.equal(answer.status, 400);
      assert.match(answer.body.message, /absolute and outside the home/);
      assert.equal((await uploadFile(cp.url, alice, sessionId, path, small)).status, 400);
    }
    for (const answer of [
      await downloadFile(cp.url, alice, sessionId, 'passwd-link'),
      await downloadFile(cp.url, alice, sessionId, 'etc-link/hostname'),
      await uploadFile(cp.url, alice, sessionId, 'etc-link/evil', small),
      await list('etc-link'),
    ]) {
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.body.error, 'path_outside_home');
      assert.match(answer.body.message, /through a symlink to \/etc.*outside the home/);
    }
    assert.equal((await inSession('ls /etc/evil 2>&1 || true')).includes('No such file'), true);
  });

  test('too large: 413 at once, and no file, partial or temporary, is left', async () => {
    const answer = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const request = httpRequest(new URL(`/api/v1/sessions/${sessionId}/files/content?path=huge.bin`, cp.url), {
        method: 'PUT',
        headers: { authorization: `Bearer ${alice}`, 'content-length': String(111 * MiB) },
      });
      request.on('response', (response) => {
        let text = '';
        response.on('data', (c: Buffer) => (text += c));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
      });
      request.on('error', reject);
      request.write(Buffer.alloc(MiB)); // the rest never comes: the answer must not wait for it
    });
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error, 'too_large');
    assert.match(answer.body.message, /111MiB, more than SESSION_UPLOAD_MAX \(110MiB\); nothing was written/);
    assert.equal((await inSession('ls -A /home/user')).split('\n').filter((n) => /huge|\.upload\./.test(n)).length, 0);
  });

  test('an upload cut off half way leaves nothing behind', async () => {
    await new Promise<void>((resolve) => {
      const request = httpRequest(new URL(`/api/v1/sessions/${sessionId}/files/content?path=cut.bin`, cp.url), {
        method: 'PUT',
        headers: { authorization: `Bearer ${alice}`, 'content-length': String(50 * MiB) },
      });
      request.on('error', () => resolve());
      request.on('close', () => resolve());
      let sent = 0;
      const push = () => {
        while (sent < 10 * MiB) {
          sent += MiB;
          if (!request.write(Buffer.alloc(MiB, 1))) return void request.once('drain', push);
        }
        // Half of it on its way: now the client goes away.
        void waitFor('partial file in the session', async () =>
          (await inSession('ls -A /home/user')).includes('.upload.') ? true : undefined,
        ).then(() => request.destroy());
      };
      push();
    });
    await waitFor('the partial upload removed', async () => {
      const names = (await inSession('ls -A /home/user')).split('\n');
      return names.some((n) => n.includes('.upload.') || n === 'cut.bin') ? undefined : true;
    });
    const [row] = await waitFor('the cut upload audited', async () => {
      const rows = (await audits('session.file_upload')).filter((r) => r.details.path === '/home/user/cut.bin');
      return rows.length > 0 ? rows : undefined;
    });
    assert.equal(row!.details.completed, false);
  });

  test("another user gets 404; a control share's guest may transfer, a view-only guest may not", async () => {
    for (const answer of [
      await list('', bob),
      await downloadFile(cp.url, bob, sessionId, 'big.bin'),
      await uploadFile(cp.url, bob, sessionId, 'bob.txt', Buffer.from('bob')),
    ]) {
      assert.equal(answer.status, 404, JSON.stringify(answer.body));
      assert.equal(answer.body.error, 'not_found');
    }
    const share = async (mode: string) => {
      const created = await cp.api('POST', `/api/v1/sessions/${sessionId}/shares`, {
        token: alice,
        body: { mode, expires_in: '1h' },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return { 'x-share-token': created.body.token as string };
    };
    const control = await share('control');
    assert.equal((await list('', bob, control)).status, 200);
    const up = await uploadFile(cp.url, bob, sessionId, 'from-bob.txt', Buffer.from('hello from bob'), control);
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.equal((await inSession('stat -c "%u %s" /home/user/from-bob.txt')).trim(), '1000 14');
    const down = await downloadFile(cp.url, bob, sessionId, 'from-bob.txt', control);
    assert.equal(down.status, 200);
    assert.equal(down.bytes, 14);
    const [audited] = (await audits('session.file_upload')).filter((r) => r.actor === 'bob');
    assert.ok(audited?.details.share_id);

    const view = await share('view');
    for (const answer of [
      await list('', carol, view),
      await downloadFile(cp.url, carol, sessionId, 'from-bob.txt', view),
      await uploadFile(cp.url, carol, sessionId, 'carol.txt', Buffer.from('carol'), view),
    ])
      assert.equal(answer.status, 404, JSON.stringify(answer.body));
  });

  test('a download link: no Authorization, 20 MiB byte for byte, works once, audited as via link', async () => {
    await inSession(`head -c ${20 * MiB} /dev/urandom > /home/user/twenty.bin`);
    const expected = (await inSession('sha256sum /home/user/twenty.bin')).split(' ')[0];
    const answer = await askLink('twenty.bin');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.match(answer.body.url, /^\/api\/v1\/files\/download\/[A-Za-z0-9_-]{43}$/);
    const lifetime = Date.parse(answer.body.expires_at) - Date.now();
    assert.ok(lifetime > 50_000 && lifetime <= 61_000, `expires in ${lifetime} ms`);
    const url = answer.body.url as string;
    tickets.push(url.slice(url.lastIndexOf('/') + 1));
    const row = await ticketRow(url);
    assert.ok(row, 'only the SHA-256 of the ticket is stored');
    assert.deepEqual({ path: row.path, share_id: row.share_id }, { path: '/home/user/twenty.bin', share_id: null });

    const down = await downloadFromLink(cp.url, url);
    assert.equal(down.status, 200, JSON.stringify(down.body));
    assert.equal(down.headers['content-length'], String(20 * MiB));
    assert.match(String(down.headers['content-disposition']), /^attachment; filename="twenty.bin"/);
    assert.equal(down.bytes, 20 * MiB);
    assert.equal(down.sha256, expected);
    await assertLinkGone(url);
    await assertLinkGone('/api/v1/files/download/not-a-ticket');
    await assertLinkGone(`/api/v1/files/download/${'A'.repeat(43)}`);

    const audited = await waitFor('the link download audited', async () =>
      (await audits('session.file_download')).find((r) => r.details.path === '/home/user/twenty.bin'),
    );
    assert.deepEqual(
      { actor: audited.actor, via: audited.details.via, completed: audited.details.completed },
      { actor: 'alice', via: 'link', completed: true },
    );
  });

  test('an expired link answers 404; the maintenance loop prunes used and expired links', async () => {
    // A used link (marked so here rather than by downloading 100 MiB again) is pruned.
    const used = await mintLink('big.bin');
    await cp.cp.database.db
      .updateTable('file_download_tickets')
      .set({ used_at: new Date() })
      .where('ticket_hash', '=', (await ticketRow(used))!.ticket_hash)
      .execute();
    await waitFor('the used link pruned', async () => ((await ticketRow(used)) === undefined ? true : undefined));
    const url = await mintLink('big.bin');
    const row = await ticketRow(url);
    await cp.cp.database.db
      .updateTable('file_download_tickets')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('ticket_hash', '=', row!.ticket_hash)
      .execute();
    await assertLinkGone(url);
    await waitFor('the expired link pruned', async () => ((await ticketRow(url)) === undefined ? true : undefined));
  });

  test('a link is refused like the API: bad path 400, not owner 404, share revoked 404, user disabled 401', async () => {
    const bad = await askLink('../etc/passwd');
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    assert.equal(bad.body.error, 'bad_path');
    const other = await askLink('big.bin', bob);
    assert.equal(other.status, 404, JSON.stringify(other.body));
    assert.equal(other.body.error, 'not_found');

    const created = await cp.api('POST', `/api/v1/sessions/${sessionId}/shares`, {
      token: alice,
      body: { mode: 'control', expires_in: '1h' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const share = { 'x-share-token': created.body.token as string };
    assert.equal((await askLink('big.bin', carol)).status, 404, 'without the share header');
    const guestDown = await downloadFromLink(cp.url, await mintLink('from-bob.txt', carol, share));
    assert.equal(guestDown.status, 200, JSON.stringify(guestDown.body));
    assert.equal(guestDown.bytes, 14);
    const beforeRevoke = await mintLink('from-bob.txt', carol, share);
    const revoked = await cp.api('DELETE', `/api/v1/sessions/${sessionId}/shares/${created.body.id}`, {
      token: alice,
    });
    assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
    const afterRevoke = await downloadFromLink(cp.url, beforeRevoke);
    assert.equal(afterRevoke.status, 404, JSON.stringify(afterRevoke.body));
    assert.equal(afterRevoke.body.error, 'not_found');

    const dave = await cp.createUser('dave', 'admin');
    const daves = await mintLink('big.bin', dave);
    const user = await cp.cp.database.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', 'dave')
      .executeTakeFirstOrThrow();
    assert.equal((await cp.api('PATCH', `/api/v1/users/${user.id}`, { body: { disabled: true } })).status, 200);
    const refused = await downloadFromLink(cp.url, daves);
    assert.equal(refused.status, 401, JSON.stringify(refused.body));
    assert.match(refused.body.message, /account is disabled/);
  });

  // Replicas share PostgreSQL: a second control plane on the same database takes the request while
  // the agent stays connected to the first, which relays the agent's dial back to it.
  if (target.name === 'PostgreSQL')
    test('through another replica: the agent dials where it is connected and that replica relays it', async () => {
      const other = await startTestControlPlane(fresh);
      try {
        const down = await downloadFile(other.url, alice, sessionId, 'big.bin');
        assert.equal(down.status, 200, JSON.stringify(down.body));
        assert.equal(down.sha256, bigSha);
        const up = await uploadFile(other.url, alice, sessionId, 'via-other.txt', Buffer.from('via the other replica'));
        assert.equal(up.status, 200, JSON.stringify(up.body));
        assert.equal((await inSession('cat /home/user/via-other.txt')).trim(), 'via the other replica');
        assert.match(cp.logs.text, /file stream relayed/);
        // A link minted on one replica is redeemed on the other (the ticket is in the database), once.
        const url = await mintLink('big.bin');
        const linked = await downloadFromLink(other.url, url);
        assert.equal(linked.status, 200, JSON.stringify(linked.body));
        assert.equal(linked.sha256, bigSha);
        await assertLinkGone(url);
      } finally {
        await other.stop();
      }
    });

  test('a stopped session answers 409, to a link minted while it ran too; no ticket was logged', async () => {
    const minted = await mintLink('big.bin');
    const stopped = await cp.api('PATCH', `/api/v1/sessions/${sessionId}`, {
      token: alice,
      body: { state: 'stopped' },
    });
    assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
    await waitState(sessionId, 'stopped');
    for (const answer of [
      await list(''),
      await downloadFile(cp.url, alice, sessionId, 'big.bin'),
      await uploadFile(cp.url, alice, sessionId, 'late.txt', Buffer.from('late')),
    ]) {
      assert.equal(answer.status, 409, JSON.stringify(answer.body));
      assert.equal(answer.body.error, 'session_not_running');
      assert.match(answer.body.message, /Session is stopped; files can be moved in or out only while it runs/);
    }
    const late = await askLink('big.bin');
    assert.equal(late.status, 409, JSON.stringify(late.body));
    const redeemed = await downloadFromLink(cp.url, minted);
    assert.equal(redeemed.status, 409, JSON.stringify(redeemed.body));
    assert.equal(redeemed.body.error, 'session_not_running');

    // The request log has the links' route, never their tickets.
    assert.match(cp.logs.text, /"url":"\/api\/v1\/files\/download\/:ticket"/);
    assert.ok(tickets.length >= 7);
    for (const ticket of tickets) assert.ok(!cp.logs.text.includes(ticket), 'a download-link ticket was logged');
  });
});
