/** One of ajv's errors, as fastify hands them over (`error.validation`). */
export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string | undefined;
  params: Record<string, unknown>;
}

/** Keywords that say what a value must look like; `const`, `type` and `anyOf` only say a union's
 * branch did not match, which tells a person less. */
const TELLING = new Set([
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'format',
  'minItems',
  'maxItems',
  'uniqueItems',
  'required',
  'additionalProperties',
  'minProperties',
]);

/**
 * A schema validation failure as `{field, message}`: `field` names the offending field within the
 * request part (`memory_limit_mb`, `env.PATH`, `tags.2`) so a form can show the message beside it;
 * `message` reads `body.memory_limit_mb must be >= 64`. A union (the template icon: a bundled name
 * or an https URL) fails with one error per branch; the message keeps the telling one and lists the
 * allowed names.
 */
export function describeValidation(
  context: string,
  issues: readonly ValidationIssue[],
): { field: string | undefined; message: string } {
  const first = issues[0];
  const path = first?.instancePath ?? '';
  const samePath = issues.filter((i) => i.instancePath === path);
  const chosen = samePath.find((i) => TELLING.has(i.keyword)) ?? first;
  const params = chosen?.params ?? {};
  const extra = params.additionalProperty as string | undefined;
  const missing = params.missingProperty as string | undefined;
  const enumValues = (params.allowedValues as unknown[] | undefined) ?? [];
  const constants = samePath.filter((i) => i.keyword === 'const').map((i) => String(i.params.allowedValue));
  let detail = `${chosen?.message ?? 'is invalid'}${extra ? ` (${extra})` : ''}`;
  if (enumValues.length > 0) detail += `: ${enumValues.join(', ')}`;
  if (constants.length > 0)
    detail =
      chosen?.keyword === 'const'
        ? `must be one of: ${constants.join(', ')}`
        : `${detail}, or one of: ${constants.join(', ')}`;
  const fieldPath = path.replace(/^\//, '').replaceAll('/', '.');
  const field = [fieldPath, extra ?? missing].filter(Boolean).join('.') || undefined;
  return { field, message: `${context}${path.replaceAll('/', '.')} ${detail}` };
}
