import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeartbeatBuffer } from './heartbeat-buffer.js';

const beat = (sessions: number) => ({
  capacity: { max_sessions: 0, max_cpu: 0, max_memory_gb: 0 },
  used: { sessions, cpu: 0, memory_gb: 0 },
});

test('keeps only the latest heartbeat per agent until flushed', () => {
  const buffer = new HeartbeatBuffer();
  buffer.record('a', 'conn-a', beat(1));
  buffer.record('a', 'conn-a', beat(2));
  buffer.record('b', 'conn-b', beat(3));
  assert.equal(buffer.size, 2);
  buffer.forget('b', 'an-older-connection');
  assert.equal(buffer.size, 2, "a closed connection does not drop a newer one's heartbeat");
  buffer.forget('b', 'conn-b');
  assert.equal(buffer.size, 1);
});

test('a failed flush keeps the rows for the next attempt, unless newer ones arrived meanwhile', async () => {
  const buffer = new HeartbeatBuffer();
  buffer.record('a', 'conn-a', beat(1));
  buffer.record('b', 'conn-b', beat(1));
  // The boundary: a database that refuses the write while a newer heartbeat for b arrives.
  await assert.rejects(
    buffer.flush(async () => {
      buffer.record('b', 'conn-b', beat(9));
      throw new Error('database down');
    }),
    /database down/,
  );
  assert.equal(buffer.size, 2, 'nothing lost');
  const written: number[] = [];
  await buffer.flush(async (rows) => written.push(...rows.map((r) => r.used.sessions)));
  assert.deepEqual(written.sort(), [1, 9], 'a kept its old row, b only the newer one');
  assert.equal(buffer.size, 0);
});
