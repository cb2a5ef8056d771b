import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { formatDuration, parseDuration } from '@streamspace/protocol';
import { formatByteSize, parseByteSize } from '../files/byte-size.js';

/**
 * One entry per environment variable. The README's configuration table is generated from this list
 * (`npm run docs:config`) and a test fails when they differ, so documentation cannot drift.
 */
export interface Setting<T> {
  env: string;
  /** What the default is, as a person reads it (also for computed defaults). */
  defaultText: string;
  description: string;
  parse(raw: string | undefined): { value: T } | { problem: string };
}

type Parsed<T> = { value: T } | { problem: string };

function withDefault<T>(fallback: T, parse: (raw: string) => Parsed<T>) {
  return (raw: string | undefined): Parsed<T> =>
    raw === undefined || raw.trim() === '' ? { value: fallback } : parse(raw.trim());
}

export function duration(env: string, fallbackMs: number, description: string, minMs = 1): Setting<number> {
  return {
    env,
    defaultText: formatDuration(fallbackMs),
    description,
    parse: withDefault<number>(fallbackMs, (raw) => {
      const ms = parseDuration(raw);
      if (ms === undefined) return { problem: `expected a duration like 30s, 5m or 1h, got "${raw}"` };
      if (ms < minMs) return { problem: `must be at least ${formatDuration(minMs)}, got "${raw}"` };
      return { value: ms };
    }),
  };
}

const DAY_MS = 86_400_000;

/**
 * A duration that may count days, for lifetimes measured in months: `90d`, `1d12h`, or anything
 * parseDuration takes (`12h`, `30m`). The protocol's durations stop at hours on purpose (agent
 * intervals); tokens need days.
 */
export function parseLifetime(text: string): number | undefined {
  const match = /^(?:(\d+)d)?(\S*)$/.exec(text.trim());
  if (!match) return undefined;
  const [, days, rest = ''] = match;
  if (days === undefined) return parseDuration(rest);
  if (rest === '') return Number(days) * DAY_MS;
  const more = parseDuration(rest);
  return more === undefined ? undefined : Number(days) * DAY_MS + more;
}

export function formatLifetime(ms: number): string {
  return ms % DAY_MS === 0 ? `${ms / DAY_MS}d` : formatDuration(ms);
}

/** A duration in days as well (`8h`, `7d`), or 0 to turn the limit off. */
export function durationOrOff(env: string, fallbackMs: number, description: string, minMs = 1000): Setting<number> {
  return {
    env,
    defaultText: fallbackMs === 0 ? '0 (off)' : formatLifetime(fallbackMs),
    description,
    parse: withDefault<number>(fallbackMs, (raw) => {
      if (raw === '0') return { value: 0 };
      const ms = parseLifetime(raw);
      if (ms === undefined) return { problem: `expected a duration like 30m, 8h or 7d, or 0 for off, got "${raw}"` };
      if (ms < minMs) return { problem: `must be at least ${formatLifetime(minMs)} (or 0 for off), got "${raw}"` };
      return { value: ms };
    }),
  };
}

/** Like `duration`, in days as well (`365d`). */
export function lifetime(env: string, fallbackMs: number, description: string, minMs: number): Setting<number> {
  return {
    env,
    defaultText: formatLifetime(fallbackMs),
    description,
    parse: withDefault<number>(fallbackMs, (raw) => {
      const ms = parseLifetime(raw);
      if (ms === undefined) return { problem: `expected a duration like 90d, 12h or 30m, got "${raw}"` };
      if (ms < minMs) return { problem: `must be at least ${formatLifetime(minMs)}, got "${raw}"` };
      return { value: ms };
    }),
  };
}

export function integer(env: string, fallback: number, description: string, min: number, max: number): Setting<number> {
  return {
    env,
    defaultText: String(fallback),
    description,
    parse: withDefault<number>(fallback, (raw) => {
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < min || n > max) {
        return { problem: `expected a whole number from ${min} to ${max}, got "${raw}"` };
      }
      return { value: n };
    }),
  };
}

/** A number of bytes: `1GiB`, `500MiB`, `2GB` or plain bytes. */
export function byteSize(env: string, fallback: number, description: string, min: number): Setting<number> {
  return {
    env,
    defaultText: formatByteSize(fallback),
    description,
    parse: withDefault<number>(fallback, (raw) => {
      const bytes = parseByteSize(raw);
      if (bytes === undefined) return { problem: `expected a size like 1GiB, 500MiB or 2GB, got "${raw}"` };
      if (bytes < min) return { problem: `must be at least ${formatByteSize(min)}, got "${raw}"` };
      return { value: bytes };
    }),
  };
}

export function text(
  env: string,
  fallback: string,
  description: string,
  defaultText = fallback || '(none)',
): Setting<string> {
  return { env, defaultText, description, parse: withDefault(fallback, (raw) => ({ value: raw })) };
}

export function optionalText(env: string, description: string, defaultText = '(none)'): Setting<string | undefined> {
  return {
    env,
    defaultText,
    description,
    parse: (raw) => ({ value: raw === undefined || raw.trim() === '' ? undefined : raw.trim() }),
  };
}

export function oneOf<T extends string>(
  env: string,
  fallback: T,
  choices: readonly T[],
  description: string,
): Setting<T> {
  return {
    env,
    defaultText: fallback,
    description: `${description} (${choices.join(', ')})`,
    parse: withDefault<T>(fallback, (raw) =>
      (choices as readonly string[]).includes(raw)
        ? { value: raw as T }
        : { problem: `expected one of ${choices.join(', ')}, got "${raw}"` },
    ),
  };
}

export function url(
  env: string,
  description: string,
  defaultText: string,
  protocols: string[],
): Setting<string | undefined> {
  return {
    env,
    defaultText,
    description,
    parse: (raw) => {
      if (raw === undefined || raw.trim() === '') return { value: undefined };
      try {
        const parsed = new URL(raw.trim());
        if (!protocols.includes(parsed.protocol)) {
          return { problem: `expected a ${protocols.join(' or ')} URL, got "${parsed.protocol}"` };
        }
        return { value: raw.trim().replace(/\/+$/, '') };
      } catch {
        return { problem: `expected a URL like ${protocols[0]}//host:port, got a value that does not parse` };
      }
    },
  };
}

/** `true`/`false` (also yes/no, on/off, 1/0, any case). */
export function boolean(env: string, fallback: boolean, description: string): Setting<boolean> {
  return {
    env,
    defaultText: String(fallback),
    description,
    parse: withDefault<boolean>(fallback, (raw) => {
      const lower = raw.toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(lower)) return { value: true };
      if (['false', 'no', 'off', '0'].includes(lower)) return { value: false };
      return { problem: `expected true or false, got "${raw}"` };
    }),
  };
}

/** Names separated by commas (`admins, ops`); blanks around them are dropped. */
export function list(env: string, description: string): Setting<string[]> {
  return {
    env,
    defaultText: '(none)',
    description,
    parse: (raw) => ({
      value: (raw ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    }),
  };
}

/** Addresses and CIDR ranges, comma-separated (`10.0.0.1, 10.1.0.0/16, ::1`). */
export function addressList(env: string, description: string): Setting<string[]> {
  return {
    env,
    defaultText: '(none)',
    description,
    parse: (raw) => {
      const items = (raw ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      const bad = items.filter((item) => {
        const [address, prefix, extra] = item.split('/');
        const version = isIP(address ?? '');
        if (version === 0 || extra !== undefined) return true;
        if (prefix === undefined) return false;
        return !/^\d+$/.test(prefix) || Number(prefix) > (version === 4 ? 32 : 128);
      });
      if (bad.length > 0) {
        return { problem: `expected IP addresses or CIDR ranges separated by commas, got "${bad.join('", "')}"` };
      }
      return { value: items };
    },
  };
}

export const defaultReplicaId = () => `${hostname()}-${randomBytes(3).toString('hex')}`;

/**
 * How long to keep rows: days (`365d`) or any duration, and `0` for forever. Days are what such
 * periods are counted in; the general duration parser stops at hours.
 */
export function retention(env: string, fallbackDays: number, description: string): Setting<number> {
  return {
    env,
    defaultText: `${fallbackDays}d`,
    description,
    parse: withDefault<number>(fallbackDays * DAY_MS, (raw) => {
      if (raw === '0') return { value: 0 };
      const ms = parseLifetime(raw);
      if (ms === undefined || ms <= 0) {
        return { problem: `expected a period like 365d or 12h, or 0 to keep forever, got "${raw}"` };
      }
      return { value: ms };
    }),
  };
}
