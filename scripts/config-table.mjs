#!/usr/bin/env node
// Prints the configuration table from the control plane's config module, or with --write puts it
// into README.md between the config-table markers. A test fails when the README's copy differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configurationTable } from '@streamspace/control-plane';

const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';
const table = configurationTable();

if (!process.argv.includes('--write')) {
  process.stdout.write(`${table}\n`);
} else {
  const path = fileURLToPath(new URL('../README.md', import.meta.url));
  const readme = readFileSync(path, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  writeFileSync(path, `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`);
  process.stdout.write('README.md configuration table updated\n');
}
