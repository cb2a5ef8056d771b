import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DriverError, readRfbBanner, type SessionDriver, type SessionSpec } from '@streamspace/agent';
import { XTERM_IMAGE } from './podman.js';

export interface ContractOptions {
  image: string;
  /** Runs a shell command inside the session (to prove the home survives hibernate). */
  exec(sessionId: string, command: string): Promise<string>;
  /** Another driver of the same pool (another AGENT_ID on the same platform), for `adopt`; a
   * platform whose driver does not adopt yet leaves it out and its adopt test is skipped. */
  makePoolPeer?: () => Promise<SessionDriver>;
}

/** A start_session for the seeded xterm template (migrations/0002_seed_templates.sql), overridable. */
export function xtermSession(
  overrides: { sessionId?: string; user?: string; template?: Partial<SessionSpec['template']> } = {},
): SessionSpec {
  return {
    sessionId: overrides.sessionId ?? randomUUID(),
    user: overrides.user ?? 'alice',
    template: {
      name: 'xterm',
      image: XTERM_IMAGE,
      vnc_port: 5900,
      cpu_limit: 0.5,
      memory_limit_mb: 512,
      env: {},
      persistent_home: true,
      ...overrides.template,
    },
  };
}

const isDriverError = (code: DriverError['code']) => (error: unknown) => {
  assert.ok(error instanceof DriverError, `expected a DriverError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return true;
};

/**
 * What every SessionDriver must do, run against each implementation (the Hono pattern: one suite,
 * one call per router). Idempotence is part of the contract: commands are re-sent after reconnects.
 */
export function runDriverContract(
  name: string,
  makeDriver: () => Promise<SessionDriver>,
  options: ContractOptions,
): void {
  describe(`SessionDriver contract: ${name}`, () => {
    let driver: SessionDriver;
    const spec = (template: Partial<SessionSpec['template']> = {}) =>
      xtermSession({ user: 'contract', template: { image: options.image, ...template } });
    const progress: string[] = [];
    const report = (p: { step: string }) => progress.push(p.step);

    before(async () => {
      driver = await makeDriver();
    });
    after(async () => {
      for (const s of await driver.list()) await driver.delete(s.sessionId);
      await driver.close();
    });

    test('start resolves once VNC answers; starting again reuses the session', async () => {
      const s = spec();
      const endpoint = await driver.start(s, report);
      assert.equal(await readRfbBanner(endpoint.host, endpoint.port), 'RFB 003.008\n');
      // Steps are reported as the driver sees them; a fast platform may pass one between two looks
      // (a pod whose image is on the node is past "image" before its events are listed).
      assert.ok(progress.indexOf('vnc') > 0, `steps before vnc, then vnc: ${progress.join(',')}`);
      const again = await driver.start(s, report);
      assert.deepEqual(again, endpoint);
      const listed = (await driver.list()).filter((x) => x.sessionId === s.sessionId);
      assert.deepEqual(listed, [{ sessionId: s.sessionId, state: 'running', cpu: 0.5, memoryGb: 0.5 }]);
      await driver.delete(s.sessionId);
    });

    test('hibernate keeps the home, resume brings it back; stop is idempotent', async () => {
      const s = spec();
      await driver.start(s, report);
      await options.exec(s.sessionId, 'echo contract-home > ~/home-marker');
      await driver.hibernate(s.sessionId);
      assert.equal((await driver.list()).find((x) => x.sessionId === s.sessionId)?.state, 'stopped');
      const endpoint = await driver.resume(s.sessionId, report);
      assert.equal(await readRfbBanner(endpoint.host, endpoint.port), 'RFB 003.008\n');
      assert.equal((await options.exec(s.sessionId, 'cat ~/home-marker')).trim(), 'contract-home');
      await driver.stop(s.sessionId);
      await driver.stop(s.sessionId);
      await driver.delete(s.sessionId);
    });

    test('delete removes the session and is idempotent', async () => {
      const s = spec();
      await driver.start(s, report);
      await driver.delete(s.sessionId);
      await driver.delete(s.sessionId);
      assert.equal(
        (await driver.list()).some((x) => x.sessionId === s.sessionId),
        false,
      );
    });

    test('another agent of the pool sees the session and adopts it as it runs, without a restart', async (t) => {
      if (!options.makePoolPeer) return t.skip(`${name} does not adopt sessions yet`);
      const s = spec();
      await driver.start(s, report);
      // /tmp is the session's own memory: a restarted container or a new pod would not have this.
      await options.exec(s.sessionId, 'echo still-the-same > /tmp/adopt-marker');
      const peer = await options.makePoolPeer();
      try {
        assert.deepEqual(
          (await peer.list()).filter((x) => x.sessionId === s.sessionId).map((x) => x.state),
          ['running'],
          'the pool peer sees the session',
        );
        const endpoint = await peer.adopt(s.sessionId);
        assert.equal(await readRfbBanner(endpoint.host, endpoint.port), 'RFB 003.008\n');
        assert.equal((await options.exec(s.sessionId, 'cat /tmp/adopt-marker')).trim(), 'still-the-same');
        await assert.rejects(peer.adopt(randomUUID()), isDriverError('not_found'));
        await driver.stop(s.sessionId);
        // A stopped session cannot be adopted as it runs: that is a failure, not a restart.
        await assert.rejects(peer.adopt(s.sessionId), isDriverError('not_found'));
      } finally {
        await peer.close();
        await driver.delete(s.sessionId);
      }
    });

    test('unknown sessions and missing images are typed failures, not silent successes', async () => {
      const unknown = randomUUID();
      await assert.rejects(driver.stop(unknown), isDriverError('not_found'));
      await assert.rejects(driver.resume(unknown, report), isDriverError('not_found'));
      await assert.rejects(driver.vncEndpoint(unknown), isDriverError('not_found'));
      await assert.rejects(
        driver.start(spec({ image: 'streamspace/no-such-image:latest' }), report),
        isDriverError('image_not_found'),
      );
    });
  });
}
