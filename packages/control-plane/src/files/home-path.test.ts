import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homePath } from './home-path.js';

const ok = (raw: string | undefined, emptyIsHome = false) => {
  const result = homePath(raw, { emptyIsHome });
  assert.ok(result.ok, `${raw}: ${result.ok ? '' : result.problem}`);
  return result.path;
};
const problem = (raw: string | undefined) => {
  const result = homePath(raw, { emptyIsHome: false });
  assert.ok(!result.ok, `${raw} was accepted`);
  return result.problem;
};

test('relative paths are taken from the home, absolute ones must lie under it', () => {
  assert.equal(ok('notes.txt'), '/home/user/notes.txt');
  assert.equal(ok('a/b/../c.txt'), '/home/user/a/c.txt');
  assert.equal(ok('/home/user/Desktop/'), '/home/user/Desktop');
  assert.equal(ok('', true), '/home/user');
  assert.equal(ok('.', false), '/home/user');
  assert.equal(ok('sub/..'), '/home/user');
});

test('leaving the home is refused, naming the problem', () => {
  assert.match(problem('../etc/passwd'), /uses \.\. to leave the home/);
  assert.match(problem('a/../../x'), /uses \.\. to leave the home/);
  assert.match(problem('/home/user/../root'), /uses \.\. to leave the home/);
  assert.match(problem('/etc/passwd'), /absolute and outside the home/);
  assert.match(problem('/home/username'), /absolute and outside the home/);
  assert.match(problem(''), /path is required/);
  assert.match(problem('a\0b'), /NUL/);
});
