import { cpus, loadavg, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Everything a bench prints goes through here (the lint forbids console). */
export function print(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function table(header: string[], align: Array<'l' | 'r'>, rows: string[][]): string {
  const rule = align.map((a) => (a === 'r' ? '---:' : '---'));
  return [header, rule, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const fixed = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The machine, since figures mean little without it; load at start shows whether it was shared. */
export function machine(): string {
  const cpu = cpus();
  const gib = totalmem() / 1024 ** 3;
  return (
    `${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} logical CPUs, ${fixed(gib, 0)} GiB, ` +
    `Node ${process.version}, ${process.platform}; 1-min load average at start ${fixed(loadavg()[0] ?? 0, 2)}`
  );
}

/**
 * The command that reproduces this run, as typed from the repository root: the BENCH_* variables
 * that were set, then the npm script (or node script) with its arguments.
 */
export function commandLine(script: string): string {
  const env = Object.entries(process.env)
    .filter(([key]) => key.startsWith('BENCH_'))
    // A database URL's password is not something to paste into a README.
    .map(([key, value]) => `${key}=${(value ?? '').replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')}`);
  const args = process.argv.slice(2);
  const run = process.env.npm_lifecycle_event
    ? [
        'npm',
        'run',
        process.env.npm_lifecycle_event,
        '-w',
        '@streamspace/bench',
        ...(args.length ? ['--', ...args] : []),
      ]
    : ['node', script, ...args];
  return [...env, ...run].join(' ');
}

/** Keeps the Markdown block under bench/results/ (ignored by git) as well as printing it. */
export function saveResult(name: string, markdown: string): string {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${new Date().toISOString().replaceAll(':', '-').slice(0, 19)}.md`);
  writeFileSync(file, `${markdown}\n`);
  return file;
}
