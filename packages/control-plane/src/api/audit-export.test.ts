import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, csvLine } from './audit-export.js';

test('CSV cells are quoted with doubled quotes; null and empty are empty', () => {
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(''), '');
  assert.equal(csvCell('plain'), '"plain"');
  assert.equal(csvCell('a "b", c\r\nd'), '"a ""b"", c\r\nd"');
});

test('cells a spreadsheet would run as a formula start with an apostrophe', () => {
  for (const formula of ['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1']) {
    assert.equal(csvCell(formula), `"'${formula}"`, JSON.stringify(formula));
  }
  assert.equal(csvCell('a=1'), '"a=1"', 'only a leading character matters');
});

test('a row is one CRLF-terminated line; details are JSON', () => {
  const line = csvLine({
    id: '7',
    at: '2026-11-30T08:00:00.000001Z',
    actor: 'admin',
    actor_user_id: null,
    action: 'auth.login',
    target_type: 'user',
    target_id: 'u',
    ip: '203.0.113.9',
    details: { reason: 'x' },
  });
  assert.equal(
    line,
    '"7","2026-11-30T08:00:00.000001Z","admin",,"auth.login","user","u","203.0.113.9","{""reason"":""x""}"\r\n',
  );
});
