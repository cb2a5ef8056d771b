import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// The README's `npx streamspace …` commands as a newcomer types them after `npm ci`: each names a
// command the CLI has, and the safe ones run for real through npx from the repository root.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFile(join(root, path), 'utf8');

/** `npx --no streamspace …` from the repository root, with a login store of its own (none stored). */
async function npxStreamspace(args: string[]) {
  const config = await mkdtemp(join(tmpdir(), 'streamspace-readme-'));
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: config };
  for (const name of ['STREAMSPACE_URL', 'STREAMSPACE_TOKEN', 'PORT', 'METRICS_PORT', 'DATABASE_URL', 'DB_HOST'])
    delete env[name];
  try {
    return await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('npx', ['--no', 'streamspace', ...args], { cwd: root, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  } finally {
    await rm(config, { recursive: true, force: true });
  }
}

/** Every `npx streamspace …` the README shows: lines of its ```sh blocks (continuations joined,
 * comments cut) and inline code spans in its prose. Returned without the `npx streamspace` prefix. */
function readmeCommands(readme: string): string[] {
  const commands: string[] = [];
  for (const [, block] of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block!.replace(/\\\n/g, ' ').split('\n')) {
      const at = line.indexOf('npx streamspace');
      if (at >= 0) commands.push(line.slice(at + 'npx streamspace'.length).replace(/\s#.*$/, ''));
    }
  }
  for (const [, span] of readme.matchAll(/`npx streamspace([^`]*)`/g)) commands.push(span!);
  return commands.map((c) => c.trim());
}

/** The command names `streamspace help` lists: "up", "agent docker", "sessions create", …. */
function usageCommands(usage: string): Set<string> {
  const names = new Set<string>();
  for (const [, column] of usage.matchAll(/^ {2}([a-z]\S*(?: \S+)*?)(?: {2,}|$)/gm)) {
    names.add(
      column!
        .split(' ')
        .filter((w, i, all) => /^[a-z][a-z-]*$/.test(w) && all.slice(0, i).every((p) => /^[a-z][a-z-]*$/.test(p)))
        .slice(0, 2)
        .join(' '),
    );
  }
  return names;
}

test("every `npx streamspace …` in the README names a command in the CLI's usage", async () => {
  const help = await npxStreamspace(['help']);
  assert.equal(help.code, 0, help.stderr);
  const known = usageCommands(help.stdout);
  for (const expected of ['up', 'server', 'agent docker', 'agent list', 'image build', 'doctor', 'sessions create'])
    assert.ok(known.has(expected), `usage lists ${expected}: ${[...known].join(', ')}`);

  const commands = readmeCommands(await read('README.md'));
  assert.ok(commands.length >= 10, `README commands found: ${commands.join(' | ')}`);
  for (const command of ['doctor', 'image build', 'agent list']) assert.ok(commands.includes(command), command);
  for (const command of commands) {
    const [first, second] = command.split(/\s+/);
    assert.ok(
      (second && known.has(`${first} ${second}`)) || known.has(first ?? ''),
      `README: npx streamspace ${command} — "${first}${second ? ` ${second}` : ''}" is not in streamspace help`,
    );
  }
});

test('the safe README commands run for real through npx: help, doctor, image build --help, agent list', async () => {
  const help = await npxStreamspace(['help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: streamspace <command>/);

  // Whether this machine is healthy is not the point: doctor runs, prints every check, and exits 0 or 1.
  const doctor = await npxStreamspace(['doctor']);
  assert.ok(doctor.code === 0 || doctor.code === 1, `doctor exited ${doctor.code}: ${doctor.stderr}`);
  for (const check of ['container engine', 'images', 'PORT 8080', 'METRICS_PORT 9090', 'database', 'agents'])
    assert.match(doctor.stdout, new RegExp(`^(OK|PROBLEM|SKIPPED|NOTE) +${check}: `, 'm'));

  const imageHelp = await npxStreamspace(['image', 'build', '--help']);
  assert.equal(imageHelp.code, 0, imageHelp.stderr);
  assert.match(imageHelp.stdout, /^Usage: streamspace image build \[name…\] \[--cache-dir DIR\]/);

  const agents = await npxStreamspace(['agent', 'list']);
  assert.equal(agents.code, 1);
  assert.match(
    agents.stderr,
    /not logged in to http:\/\/localhost:8080: run streamspace login, or set STREAMSPACE_TOKEN/,
  );
});

/** Text files under `dir` (compiled output and dependencies aside). */
async function sources(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(root, dir))) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const path = join(dir, entry);
    if ((await stat(join(root, path))).isDirectory()) found.push(...(await sources(path)));
    else found.push(path);
  }
  return found;
}

test("CI builds images with the README's `npx streamspace`; nothing in .ci, scripts or test runs the CLI's built main.js", async () => {
  const ci = await read('.ci/run');
  assert.match(ci, /^npx streamspace image build /m);
  // The "Run it" blocks themselves (npm ci && npm start, then the curl walk-through) run as written.
  assert.match(ci, /^node scripts\/readme-quickstart\.mjs$/m);
  const offenders: string[] = [];
  for (const file of ['.ci/run', ...(await sources('scripts')), ...(await sources('test'))]) {
    if (/dist\/main\.js/.test(await read(file))) offenders.push(relative(root, join(root, file)));
  }
  assert.deepEqual(offenders, [], 'start the CLI as `npx streamspace` (or test/support/streamspace-command.ts)');
});
