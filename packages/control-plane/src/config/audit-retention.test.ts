import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config.js';

const DAY = 24 * 3_600_000;
const retentionOf = (raw?: string) => {
  const result = loadConfig(raw === undefined ? {} : { AUDIT_RETENTION: raw });
  return result.ok ? result.config.auditRetentionMs : result.problems;
};

test('AUDIT_RETENTION: 365 days by default; days, other durations, and 0 for forever', () => {
  assert.equal(retentionOf(), 365 * DAY);
  assert.equal(retentionOf('90d'), 90 * DAY);
  assert.equal(retentionOf('12h'), 12 * 3_600_000);
  assert.equal(retentionOf('0'), 0);
});

test('AUDIT_RETENTION: a value that is not a period is refused, naming the variable', () => {
  for (const raw of ['forever', '-1d', '0d', '1.5d', '365']) {
    const problems = retentionOf(raw);
    assert.ok(Array.isArray(problems), raw);
    assert.match(problems.join(), /^AUDIT_RETENTION: expected a period like 365d or 12h, or 0 to keep forever/, raw);
  }
});
