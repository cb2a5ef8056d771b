import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const TICKS = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, seconds. */
  cpuSeconds: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // exited between the listing and the read
  }
  // comm may hold spaces and parentheses: the fields start after the last ") ".
  const close = text.lastIndexOf(') ');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' ');
  return { pid, ppid: Number(fields[1]), comm, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS };
}

function allProcesses(): ProcStat[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((stat): stat is ProcStat => stat !== undefined);
}

/** The process and its live descendants. */
export function processTree(root: number): ProcStat[] {
  const all = allProcesses();
  const children = new Map<number, ProcStat[]>();
  for (const stat of all) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  const tree: ProcStat[] = [];
  const visit = (stat: ProcStat | undefined) => {
    if (!stat) return;
    tree.push(stat);
    for (const child of children.get(stat.pid) ?? []) visit(child);
  };
  visit(all.find((stat) => stat.pid === root));
  return tree;
}

/**
 * CPU seconds a process tree has used, summed over the processes alive now: websockify serves each
 * connection in a forked child and Chromium renders in child processes, so the root alone would
 * miss the work. Read before and after a window, the difference is the tree's CPU in it (a process
 * that exits inside the window loses its share: the windows here keep their connections open).
 */
export function treeCpuSeconds(root: number): number {
  return processTree(root).reduce((sum, stat) => sum + stat.cpuSeconds, 0);
}

/** The first descendant of `root` whose command name starts with `comm` (e.g. Xvnc in a container). */
export function findDescendant(root: number, comm: string): number | undefined {
  return processTree(root).find((stat) => stat.comm.startsWith(comm))?.pid;
}
