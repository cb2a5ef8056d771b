import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable } from './table.js';

test('columns are padded to the widest cell, empty cells show -, no trailing spaces', () => {
  assert.equal(
    formatTable(
      ['ID', 'STATE', 'REASON'],
      [
        ['a1', 'running', null],
        ['b', 'pending', 'waiting for an agent'],
        ['c', 3, ''],
      ],
    ),
    'ID  STATE    REASON\n' + 'a1  running  -\n' + 'b   pending  waiting for an agent\n' + 'c   3        -\n',
  );
});

test('a header alone is a table with no rows', () => {
  assert.equal(formatTable(['NAME', 'ROLE'], []), 'NAME  ROLE\n');
});
