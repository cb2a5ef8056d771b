import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKOFF_MAX_MS, planWarmPool, retryDelayMs, type PoolSession } from './warm-pool-plan.js';
import { warmSpec } from './warm-spec.js';

const now = new Date('2026-01-01T12:00:00Z');
const at = (s: number) => new Date(now.getTime() + s * 1000);
const session = (id: string, state: PoolSession['state'], spec = 'a', created = 0): PoolSession => ({
  id,
  state,
  warm_spec: spec,
  created_at: at(created),
});
const pool = (warm_pool: number, spec = 'a') => ({ warm_pool, persistent_home: false, spec });

test('an empty pool of 3 starts 3; a full one starts none', () => {
  assert.deepEqual(planWarmPool(pool(3), [], undefined, now), { start: 3, drain: [] });
  const full = [session('1', 'running'), session('2', 'starting'), session('3', 'pending')];
  assert.deepEqual(planWarmPool(pool(3), full, undefined, now), { start: 0, drain: [] });
});

test('a shrunk pool drains the sessions furthest from ready first, then the newest running', () => {
  const sessions = [session('old', 'running', 'a', 1), session('new', 'running', 'a', 2), session('p', 'pending')];
  const plan = planWarmPool(pool(1), sessions, undefined, now);
  assert.equal(plan.start, 0);
  assert.deepEqual(
    plan.drain.map((d) => [d.id, d.reason]),
    [
      ['p', 'the pool shrank to 1'],
      ['new', 'the pool shrank to 1'],
    ],
  );
});

test('a changed or deleted template drains everything it had and refills from the new one', () => {
  const sessions = [session('1', 'running', 'old'), session('2', 'running', 'new')];
  const changed = planWarmPool(pool(2, 'new'), sessions, undefined, now);
  assert.deepEqual(changed.drain, [{ id: '1', state: 'running', reason: 'its template changed' }]);
  assert.equal(changed.start, 1);
  const deleted = planWarmPool(undefined, sessions, undefined, now);
  assert.deepEqual(
    deleted.drain.map((d) => d.reason),
    ['its template was deleted', 'its template was deleted'],
  );
  assert.equal(deleted.start, 0);
});

test('stopped or hibernated pool sessions leave the pool; failed ones are left to the failure count', () => {
  const plan = planWarmPool(
    pool(2),
    [session('h', 'hibernated'), session('f', 'failed'), session('r', 'running')],
    undefined,
    now,
  );
  assert.deepEqual(plan.drain, [{ id: 'h', state: 'hibernated', reason: 'left the pool (hibernated)' }]);
  assert.equal(plan.start, 1);
});

test('a persistent-home template keeps no pool', () => {
  const plan = planWarmPool(
    { warm_pool: 2, persistent_home: true, spec: 'a' },
    [session('1', 'running')],
    undefined,
    now,
  );
  assert.deepEqual(plan, { start: 0, drain: [{ id: '1', state: 'running', reason: 'the pool shrank to 0' }] });
});

test('after failures: nothing before retry_at, then one probe at a time', () => {
  const backoff = { failures: 2, retry_at: at(10) };
  assert.equal(planWarmPool(pool(3), [], backoff, now).start, 0);
  assert.equal(planWarmPool(pool(3), [], backoff, at(10)).start, 1);
  assert.equal(planWarmPool(pool(3), [session('probe', 'starting')], backoff, at(11)).start, 0);
  assert.equal(planWarmPool(pool(3), [session('ok', 'running')], { failures: 0, retry_at: now }, now).start, 2);
});

test('the retry delay doubles from 5 s up to 5 minutes', () => {
  assert.deepEqual([1, 2, 3].map(retryDelayMs), [5_000, 10_000, 20_000]);
  assert.equal(retryDelayMs(30), BACKOFF_MAX_MS);
});

test('the fingerprint follows image, limits and env (in any key order) but nothing else', () => {
  const t = {
    image: 'x:1',
    vnc_port: 5900,
    cpu_limit: 1,
    memory_limit_mb: 512,
    env: { A: '1', B: '2' },
    persistent_home: false,
    platform: 'any' as const,
  };
  assert.equal(warmSpec(t), warmSpec({ ...t, env: { B: '2', A: '1' } }));
  for (const change of [{ image: 'x:2' }, { cpu_limit: 2 }, { memory_limit_mb: 1024 }, { env: { A: '1' } }])
    assert.notEqual(warmSpec(t), warmSpec({ ...t, ...change }), JSON.stringify(change));
});
