import { BadRequestError } from '../errors.js';
import { formatLifetime, parseLifetime } from '../config/settings.js';
import type { Template } from '../db/schema.js';

/** The API's names for the per-template overrides and the columns that keep them (migration 0018). */
const FIELDS = { idle_timeout: 'idle_timeout_s', max_lifetime: 'max_lifetime_s' } as const;
type Field = keyof typeof FIELDS;
/** A year: longer is surely a typo (seconds in an INTEGER column also end near 68 years). */
const MAX_S = 365 * 86_400;

/** `idle_timeout` / `max_lifetime` from a request (`"30m"`, `"8h"`, `"2d"`, `"0s"` = off, null = the
 * setting) as the columns' seconds; absent fields stay absent so PATCH leaves them alone. */
export function templateLimitColumns(body: Partial<Record<Field, string | null>>) {
  const columns: { idle_timeout_s?: number | null; max_lifetime_s?: number | null } = {};
  for (const field of Object.keys(FIELDS) as Field[]) {
    const value = body[field];
    if (value === undefined) continue;
    if (value === null) {
      columns[FIELDS[field]] = null;
      continue;
    }
    const ms = parseLifetime(value);
    if (ms === undefined || ms % 1000 !== 0 || ms / 1000 > MAX_S)
      throw new BadRequestError(
        `${field}: expected a duration in whole seconds up to 365d like 30m, 8h or 2d ("0s" turns it off, null uses the setting), got ${JSON.stringify(value)}`,
        field,
      );
    columns[FIELDS[field]] = ms / 1000;
  }
  return columns;
}

/** A template row as the API shows it: the overrides as duration strings (null = the setting). */
export function templateForApi(template: Template) {
  const { idle_timeout_s, max_lifetime_s, ...rest } = template;
  const show = (s: number | null) => (s === null ? null : s === 0 ? '0s' : formatLifetime(s * 1000));
  return { ...rest, idle_timeout: show(idle_timeout_s), max_lifetime: show(max_lifetime_s) };
}
