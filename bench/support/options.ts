import { parseArgs } from 'node:util';

/**
 * Reads `--name value` arguments, each of which may also come from an environment variable; the
 * argument wins. Unknown arguments are an error so a typo never silently runs the defaults.
 */
export function readOptions<K extends string>(spec: Record<K, { env: string; default: string }>): Record<K, string> {
  const { values } = parseArgs({
    options: Object.fromEntries(Object.keys(spec).map((name) => [name, { type: 'string' as const }])),
    strict: true,
  });
  const result = {} as Record<K, string>;
  for (const name of Object.keys(spec) as K[]) {
    result[name] = (values[name] as string | undefined) ?? process.env[spec[name].env] ?? spec[name].default;
  }
  return result;
}

export function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: expected a positive number, got "${text}"`);
  return value;
}

export function positiveList(name: string, text: string): number[] {
  return text.split(',').map((part) => Math.round(positive(name, part.trim())));
}
