/** One line of `streamspace doctor`: what was checked, what was found, and what fixes a problem. */
export interface Check {
  name: string;
  /**
   * `skipped`: could not be checked here, and that is not a fault (the fix says how to check).
   * `note`: not as expected, but something will take care of it (the fix says how to do it now).
   */
  status: 'ok' | 'problem' | 'skipped' | 'note';
  detail: string;
  /** For a problem, the command (or setting) that fixes it; for a skipped check, how to check it. */
  fix?: string;
}

const LABEL: Record<Check['status'], string> = { ok: 'OK', problem: 'PROBLEM', skipped: 'SKIPPED', note: 'NOTE' };
const FIX_LEAD: Record<Check['status'], string> = { ok: 'fix', problem: 'fix', skipped: 'to check', note: 'now' };

/** Each check on one line, status first so a problem stands out; the fix indented under it. */
export function formatChecks(checks: Check[]): string {
  const width = Math.max(...Object.values(LABEL).map((l) => l.length)) + 2;
  const lines: string[] = [];
  for (const check of checks) {
    lines.push(`${LABEL[check.status].padEnd(width)}${check.name}: ${check.detail}`);
    if (check.fix) {
      const lead = FIX_LEAD[check.status];
      for (const [i, line] of check.fix.split('\n').entries()) {
        lines.push(`${' '.repeat(width)}${i === 0 ? `${lead}: ` : ' '.repeat(lead.length + 2)}${line}`);
      }
    }
  }
  const problems = checks.filter((c) => c.status === 'problem').length;
  lines.push('', problems === 0 ? 'No problems found.' : `${problems} problem${problems === 1 ? '' : 's'} found.`);
  return `${lines.join('\n')}\n`;
}

/** 0 when nothing is wrong, 1 when any check found a problem (a skipped check or a note is not one). */
export const exitCodeOf = (checks: Check[]): number => (checks.some((c) => c.status === 'problem') ? 1 : 0);
