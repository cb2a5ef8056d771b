import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCursor, encodeCursor, parseAuditQuery } from './audit-query.js';

const problem = (query: Parameters<typeof parseAuditQuery>[0]) => {
  try {
    parseAuditQuery(query);
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
};

test('defaults: the newest 100 entries as JSON, no filter', () => {
  assert.deepEqual(parseAuditQuery({}), {
    filter: {
      actor: undefined,
      action: undefined,
      targetType: undefined,
      targetId: undefined,
      since: undefined,
      until: undefined,
    },
    limit: 100,
    after: undefined,
    format: 'json',
  });
});

test('since and until take RFC 3339 instants only, and each error names its parameter', () => {
  for (const ok of ['2026-11-30T08:00:00Z', '2026-11-30t08:00:00.123456z', '2026-02-28T23:59:59-05:30']) {
    assert.equal(problem({ since: ok }), 'accepted', ok);
  }
  for (const bad of ['yesterday', '2026-11-30', '2026-02-30T00:00:00Z', '2026-11-30T24:00:00Z', '1700000000']) {
    assert.match(problem({ since: bad }), /^since: expected an RFC 3339 time/, bad);
    assert.match(problem({ until: bad }), /^until: expected an RFC 3339 time/, bad);
  }
  assert.match(problem({ since: '2026-12-01T00:00:00Z', until: '2026-11-01T00:00:00Z' }), /since .* is after until/);
});

test('limit is 1 to 1000; action is exact or a prefix ending in *', () => {
  assert.equal(parseAuditQuery({ limit: '1000' }).limit, 1000);
  for (const bad of ['0', '1001', '-5', '10.5', 'ten']) assert.match(problem({ limit: bad }), /^limit: expected/, bad);
  assert.equal(parseAuditQuery({ action: 'auth.*' }).filter.action, 'auth.*');
  assert.equal(parseAuditQuery({ action: '*' }).filter.action, undefined, 'a lone * is no filter');
  for (const bad of ['auth.*.x', '*login', 'a b', "x'--"]) assert.match(problem({ action: bad }), /^action: /, bad);
});

test('a cursor round-trips; anything else is refused as a cursor', () => {
  const position = { at: '2026-11-30T08:00:00.123456Z', id: '42' };
  assert.deepEqual(decodeCursor(encodeCursor(position)), position);
  const forged = Buffer.from(JSON.stringify(["1' OR 1=1", '1'])).toString('base64url');
  for (const bad of ['garbage', forged, '']) assert.match(problem({ cursor: bad }), /^cursor: not a cursor/);
});
