import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { Command, CommandResult, SessionStatus } from '@streamspace/protocol';
import { CommandRunner } from './command-runner.js';
import { DriverError, type SessionDriver } from '../drivers/session-driver.js';

const SESSION = '6ec0c8a9-8bc3-4e8d-b898-1813d4fac11d';
const template = {
  name: 'xterm',
  image: 'streamspace/xterm:latest',
  vnc_port: 5900,
  cpu_limit: 1,
  memory_limit_mb: 512,
  env: {},
  persistent_home: false,
};

/** A driver at the platform boundary: records calls, starts slowly, fails on request. */
function fakeDriver(calls: string[], options: { failStart?: string } = {}): SessionDriver {
  return {
    platform: 'docker',
    async start(spec, progress) {
      calls.push(`start ${spec.sessionId}`);
      progress({ step: 'image', message: 'image present' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (options.failStart) throw new DriverError('image_not_found', options.failStart);
      return { host: '10.0.0.2', port: 5900 };
    },
    async stop(id) {
      calls.push(`stop ${id}`);
    },
    async hibernate(id) {
      calls.push(`hibernate ${id}`);
    },
    async resume(id) {
      calls.push(`resume ${id}`);
      return { host: '10.0.0.2', port: 5900 };
    },
    async delete(id) {
      calls.push(`delete ${id}`);
    },
    async adopt(id) {
      calls.push(`adopt ${id}`);
      return { host: '10.0.0.3', port: 5900 };
    },
    list: async () => [],
    vncEndpoint: async () => ({ host: '10.0.0.2', port: 5900 }),
    onUnexpectedExit: () => undefined,
    close: async () => undefined,
  };
}

function recorder() {
  const acks: string[] = [];
  const results: CommandResult[] = [];
  const statuses: SessionStatus[] = [];
  return {
    acks,
    results,
    statuses,
    out: {
      ack: (id: string) => acks.push(id),
      result: (r: CommandResult) => results.push(r),
      status: (s: SessionStatus) => statuses.push(s),
    },
  };
}

const command = (id: string, type: Command['type'], payload: Record<string, unknown> = {}): Command => ({
  command_id: id,
  type,
  session_id: SESSION,
  payload,
});
const ID = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

test('start: ack first, starting with progress, running, then an ok result with the VNC endpoint', async () => {
  const calls: string[] = [];
  const runner = new CommandRunner(fakeDriver(calls), pino({ level: 'silent' }));
  const r = recorder();
  await runner.handle(command(ID(1), 'start_session', { user: 'alice', template }), r.out);
  assert.deepEqual(r.acks, [ID(1)]);
  assert.deepEqual(
    r.statuses.map((s) => s.state),
    ['starting', 'starting', 'running'],
  );
  assert.deepEqual(r.statuses[1]!.progress, { step: 'image', message: 'image present' });
  assert.deepEqual(r.results, [{ command_id: ID(1), ok: true, data: { vnc_host: '10.0.0.2', vnc_port: 5900 } }]);
});

test('a repeated command id is answered from memory, not executed again', async () => {
  const calls: string[] = [];
  const runner = new CommandRunner(fakeDriver(calls), pino({ level: 'silent' }));
  const r = recorder();
  const start = command(ID(2), 'start_session', { user: 'alice', template });
  await Promise.all([runner.handle(start, r.out), runner.handle(start, r.out)]);
  await runner.handle(start, r.out);
  assert.deepEqual(calls, [`start ${SESSION}`]);
  assert.equal(r.acks.length, 3, 'every delivery is acknowledged');
  assert.equal(r.results.length, 2, 'one result when it finishes, one for the re-send after');
});

test('commands for one session run in arrival order', async () => {
  const calls: string[] = [];
  const runner = new CommandRunner(fakeDriver(calls), pino({ level: 'silent' }));
  const r = recorder();
  await Promise.all([
    runner.handle(command(ID(3), 'start_session', { user: 'alice', template }), r.out),
    runner.handle(command(ID(4), 'stop_session'), r.out),
    runner.handle(command(ID(5), 'delete_session'), r.out),
  ]);
  assert.deepEqual(calls, [`start ${SESSION}`, `stop ${SESSION}`, `delete ${SESSION}`]);
  assert.deepEqual(r.statuses.map((s) => s.state).slice(-2), ['stopped', 'deleted']);
});

test("a failed start reports failed with the driver's reason and a failed result", async () => {
  const runner = new CommandRunner(
    fakeDriver([], { failStart: 'image x not found; build it' }),
    pino({ level: 'silent' }),
  );
  const r = recorder();
  await runner.handle(command(ID(6), 'start_session', { user: 'alice', template }), r.out);
  assert.deepEqual(r.statuses.at(-1), { session_id: SESSION, state: 'failed', reason: 'image x not found; build it' });
  assert.deepEqual(r.results, [{ command_id: ID(6), ok: false, error: 'image x not found; build it' }]);
});

test('adopt_session takes the running session over as it is: running, and its endpoint in the result', async () => {
  const calls: string[] = [];
  const runner = new CommandRunner(fakeDriver(calls), pino({ level: 'silent' }));
  const r = recorder();
  await runner.handle(command(ID(7), 'adopt_session', { from_agent_id: 'docker-a' }), r.out);
  assert.deepEqual(calls, [`adopt ${SESSION}`], 'adopted, neither started nor resumed');
  assert.deepEqual(r.statuses, [{ session_id: SESSION, state: 'running' }]);
  assert.deepEqual(r.results, [{ command_id: ID(7), ok: true, data: { vnc_host: '10.0.0.3', vnc_port: 5900 } }]);

  // A payload that breaks its schema fails the command with the field, and touches nothing.
  await runner.handle(command(ID(8), 'adopt_session', {}), r.out);
  assert.deepEqual(calls, [`adopt ${SESSION}`]);
  assert.equal(r.results.at(-1)!.ok, false);
  assert.match(String((r.results.at(-1) as CommandResult).error), /^adopt_session payload .*from_agent_id/);
});

test('start_session is checked against its schema: a bad template fails naming the field, nothing starts', async () => {
  const calls: string[] = [];
  const runner = new CommandRunner(fakeDriver(calls), pino({ level: 'silent' }));
  const r = recorder();
  await runner.handle(
    command(ID(9), 'start_session', { user: 'alice', template: { ...template, vnc_port: 'vnc' } }),
    r.out,
  );
  assert.deepEqual(calls, [], 'the driver was not called');
  assert.deepEqual(
    r.statuses.map((s) => s.state),
    ['failed'],
    'reported failed with the reason, never starting',
  );
  assert.equal(r.results.at(-1)!.ok, false);
  assert.match(String((r.results.at(-1) as CommandResult).error), /^start_session payload template\.vnc_port/);
  await runner.handle(command(ID(10), 'close_tunnel', { tunnel_id: 'not-a-uuid' }), r.out);
  assert.match(String((r.results.at(-1) as CommandResult).error), /^close_tunnel payload tunnel_id/);
});
