#!/usr/bin/env node
// Prints the configuration tables from the config modules, or with --write puts them into README.md
// between their markers. A test fails when the README's copies differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configurationTable } from '@streamspace/control-plane';
import { agentConfigurationTable } from '@streamspace/agent';

const tables = { 'config-table': configurationTable(), 'agent-config-table': agentConfigurationTable() };

if (!process.argv.includes('--write')) {
  for (const table of Object.values(tables)) process.stdout.write(`${table}\n\n`);
} else {
  const path = fileURLToPath(new URL('../README.md', import.meta.url));
  let readme = readFileSync(path, 'utf8');
  for (const [name, table] of Object.entries(tables)) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const from = readme.indexOf(start);
    const to = readme.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md lacks the ${start} … ${end} markers`);
    readme = `${readme.slice(0, from + start.length)}\n${table}\n${readme.slice(to)}`;
  }
  writeFileSync(path, readme);
  process.stdout.write('README.md configuration tables updated\n');
}
