import { readFileSync } from 'node:fs';

/**
 * Warnings and errors a server logged (pino JSON lines, level 40 and up), most frequent message
 * first: a bench that measures a server which was failing should say so next to its figures.
 */
export function logProblems(file: string): Array<{ msg: string; count: number }> {
  const counts = new Map<string, number>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  for (const line of text.split('\n')) {
    if (!/"level":[4-6]0/.test(line)) continue;
    let msg = line.slice(0, 120);
    try {
      msg = (JSON.parse(line) as { msg?: string }).msg ?? msg;
    } catch {
      // not JSON: keep the raw start of the line
    }
    counts.set(msg, (counts.get(msg) ?? 0) + 1);
  }
  return [...counts].map(([msg, count]) => ({ msg, count })).sort((a, b) => b.count - a.count);
}
