import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitCodeOf, formatChecks, type Check } from './check.js';
import { lastSeen } from './agents-check.js';
import { imagesCheck } from './engine-checks.js';

test('each check on one line, status first; fixes (several lines) indented under it; a count at the end', () => {
  const checks: Check[] = [
    { name: 'container engine', status: 'ok', detail: 'podman 4.3.1 at unix:///run/x.sock' },
    {
      name: 'images',
      status: 'problem',
      detail: 'missing streamspace/desktop:latest',
      fix: 'npx streamspace image build desktop',
    },
    { name: 'database', status: 'problem', detail: 'no answer', fix: 'start PostgreSQL\nor unset DATABASE_URL' },
    { name: 'agents', status: 'skipped', detail: 'no control plane known', fix: 'streamspace login' },
  ];
  assert.equal(
    formatChecks(checks),
    [
      'OK       container engine: podman 4.3.1 at unix:///run/x.sock',
      'PROBLEM  images: missing streamspace/desktop:latest',
      '         fix: npx streamspace image build desktop',
      'PROBLEM  database: no answer',
      '         fix: start PostgreSQL',
      '              or unset DATABASE_URL',
      'SKIPPED  agents: no control plane known',
      '         to check: streamspace login',
      '',
      '2 problems found.',
      '',
    ].join('\n'),
  );
  assert.equal(exitCodeOf(checks), 1);
});

test('no problem (skipped is not one): exit code 0', () => {
  const checks: Check[] = [
    { name: 'images', status: 'ok', detail: 'x' },
    { name: 'agents', status: 'skipped', detail: 'y' },
  ];
  assert.equal(exitCodeOf(checks), 0);
  assert.match(formatChecks(checks), /\nNo problems found\.\n$/);
});

test('last seen: seconds, minutes, hours, days ago with the time; never seen', () => {
  const now = new Date('2026-11-30T10:00:00.000Z');
  assert.equal(lastSeen(null, now), 'never seen');
  assert.equal(lastSeen('2026-11-30T09:59:15.000Z', now), 'last seen 45s ago (2026-11-30T09:59:15.000Z)');
  assert.equal(lastSeen('2026-11-30T09:30:00.000Z', now), 'last seen 30 min ago (2026-11-30T09:30:00.000Z)');
  assert.equal(lastSeen('2026-11-30T04:00:00.000Z', now), 'last seen 6 h ago (2026-11-30T04:00:00.000Z)');
  assert.equal(lastSeen('2026-11-20T10:00:00.000Z', now), 'last seen 10 days ago (2026-11-20T10:00:00.000Z)');
});

test('missing images: a note while streamspace up builds them on demand, a problem when IMAGE_BUILD_ON_DEMAND=false', () => {
  const note = imagesCheck(['xterm', 'desktop'], ['desktop'], true);
  assert.equal(note.status, 'note');
  assert.equal(exitCodeOf([note]), 0);
  assert.match(
    formatChecks([note]),
    /^NOTE +images: missing streamspace\/desktop:latest; present streamspace\/xterm:latest; streamspace up builds each when a session first needs it .*\n +now: npx streamspace image build desktop\n/,
  );
  const problem = imagesCheck(['xterm', 'desktop'], ['desktop'], false);
  assert.deepEqual([problem.status, problem.fix], ['problem', 'npx streamspace image build desktop']);
  assert.equal(exitCodeOf([problem]), 1);
  assert.equal(imagesCheck(['xterm'], [], false).status, 'ok');
});
