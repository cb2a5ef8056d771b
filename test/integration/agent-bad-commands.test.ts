import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createAgentLogger, loadAgentConfig, startAgent, type RunningAgent } from '@streamspace/agent';
import { LogCapture } from '../support/log-capture.js';
import { TEST_DOCKER_HOST, requireContainerEngine } from '../support/podman.js';
import { testCredentialFile } from '../support/agent-process.js';

// A real agent (real podman driver) facing a scripted control plane that sends it bad commands.
let server: WebSocketServer;
let socket: WebSocket;
let agent: RunningAgent;
const logs = new LogCapture();
const inbox: Array<{ type: string; payload: any }> = [];
let waiters: Array<() => void> = [];

function next(type: string, where: (p: any) => boolean = () => true, timeoutMs = 10_000): Promise<any> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const index = inbox.findIndex((m) => m.type === type && where(m.payload));
      if (index < 0) return false;
      resolve(inbox.splice(index, 1)[0]!.payload);
      return true;
    };
    if (check()) return;
    const timer = setTimeout(
      () => reject(new Error(`no ${type} within ${timeoutMs} ms: ${JSON.stringify(inbox)}`)),
      timeoutMs,
    );
    const waiter = () => {
      if (check()) {
        clearTimeout(timer);
        waiters = waiters.filter((w) => w !== waiter);
      }
    };
    waiters.push(waiter);
  });
}
const command = (type: string, sessionId: string, payload: Record<string, unknown> = {}) => {
  const command_id = randomUUID();
  socket.send(JSON.stringify({ v: 1, type: 'command', payload: { command_id, type, session_id: sessionId, payload } }));
  return command_id;
};

before(async () => {
  await requireContainerEngine();
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/agent/ws' });
  const connected = new Promise<void>((resolve) =>
    server.on('connection', (ws) => {
      socket = ws;
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as { type: string; payload: unknown };
        if (frame.type === 'register') {
          ws.send(
            JSON.stringify({
              v: 1,
              type: 'registered',
              payload: { heartbeat_interval_ms: 1000, heartbeat_timeout_ms: 30_000, replica_id: 'fake' },
            }),
          );
          resolve();
        }
        inbox.push(frame);
        for (const w of [...waiters]) w();
      });
    }),
  );
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  const loaded = loadAgentConfig(
    {
      AGENT_ID: `bad-commands-${process.pid}`,
      CONTROL_PLANE_URL: `ws://127.0.0.1:${port}`,
      AGENT_TOKEN: 'x'.repeat(20),
      DOCKER_HOST: TEST_DOCKER_HOST,
      AGENT_CREDENTIAL_FILE: testCredentialFile(`bad-commands-${process.pid}`),
    },
    { platform: 'docker' },
  );
  assert.ok(loaded.ok);
  agent = await startAgent(loaded.config, { logger: createAgentLogger('info', logs) });
  await connected;
  await agent.registered;
});
after(async () => {
  await agent?.stop();
  server?.close();
});

test('garbled frames are logged and ignored; the agent stays connected', async () => {
  socket.send('{not json');
  socket.send(JSON.stringify([{ v: 1, type: 'command' }]));
  socket.send(Buffer.from([0, 1, 2]));
  const id = command('delete_session', randomUUID());
  const result = await next('command_result', (p) => p.command_id === id);
  assert.equal(result.ok, true, 'deleting what does not exist succeeds: delete is idempotent');
  assert.ok(logs.text.includes('invalid frame from control plane'));
});

test('an unknown command type gets a failed result naming the problem', async () => {
  const id = command('launch_rockets', randomUUID());
  const result = await next('command_result', (p) => p.command_id === id);
  assert.equal(result.ok, false);
  assert.match(result.error, /^command rejected by the agent: command\.type/);
});

test('commands for sessions this agent does not have fail, each naming the session', async () => {
  for (const type of ['stop_session', 'hibernate_session', 'resume_session']) {
    const sessionId = randomUUID();
    const id = command(type, sessionId);
    assert.equal((await next('command_ack', (p) => p.command_id === id)).command_id, id);
    const result = await next('command_result', (p) => p.command_id === id);
    assert.equal(result.ok, false, type);
    assert.match(result.error, new RegExp(`session ${sessionId} has no container on this host`), type);
  }
  const noTemplate = command('start_session', randomUUID(), { user: 'alice' });
  const result = await next('command_result', (p) => p.command_id === noTemplate);
  assert.equal(result.ok, false);
  assert.match(result.error, /start_session payload.*template/);
});

test('a re-sent command id is answered again from memory, not executed twice', async () => {
  const sessionId = randomUUID();
  const id = randomUUID();
  const frame = JSON.stringify({
    v: 1,
    type: 'command',
    payload: { command_id: id, type: 'delete_session', session_id: sessionId, payload: {} },
  });
  socket.send(frame);
  await next('command_result', (p) => p.command_id === id);
  socket.send(frame);
  const again = await next('command_result', (p) => p.command_id === id);
  assert.equal(again.ok, true);
  const received = logs.text
    .split('\n')
    .filter((l) => l.includes(`Received delete_session command for session ${sessionId}`));
  assert.equal(received.length, 1);
});
