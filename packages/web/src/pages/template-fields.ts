import type { Template } from '../api.js';

/** A template as admins see it (GET /api/v1/templates with an admin token carries image and env). */
export interface AdminTemplate extends Template {
  image: string;
  env: Record<string, string>;
  vnc_port: number;
  cpu_limit: number;
  memory_limit_mb: number;
  platform: 'any' | 'docker' | 'kubernetes';
  persistent_home: boolean;
  idle_timeout: string | null;
  max_lifetime: string | null;
  warm_pool: number;
}

/** What the form edits. Numbers stay as typed (string or number) so a bad value reaches the server
 * and comes back as its message on the field, rather than being clamped silently. */
export interface TemplateFormValues {
  name: string;
  display_name: string;
  description: string;
  image: string;
  /** A bundled icon's name, '' for the generic icon, or 'url' to use `icon_url`. */
  icon_choice: string;
  icon_url: string;
  category: string;
  tags: string[];
  vnc_port: number | string;
  cpu_limit: number | string;
  memory_limit_mb: number | string;
  env: Array<{ key: string; value: string }>;
  persistent_home: boolean;
  platform: string;
  idle_timeout: string;
  max_lifetime: string;
  warm_pool: number | string;
}

export function formValuesOf(t: AdminTemplate | null): TemplateFormValues {
  const url = t?.icon?.startsWith('https://') ? t.icon : '';
  return {
    name: t?.name ?? '',
    display_name: t?.display_name ?? '',
    description: t?.description ?? '',
    image: t?.image ?? '',
    icon_choice: url ? 'url' : (t?.icon ?? ''),
    icon_url: url,
    category: t?.category ?? 'Apps',
    tags: t?.tags ?? [],
    vnc_port: t?.vnc_port ?? 5900,
    cpu_limit: t?.cpu_limit ?? 1,
    memory_limit_mb: t?.memory_limit_mb ?? 1024,
    env: Object.entries(t?.env ?? {}).map(([key, value]) => ({ key, value })),
    persistent_home: t?.persistent_home ?? false,
    platform: t?.platform ?? 'any',
    idle_timeout: t?.idle_timeout ?? '',
    max_lifetime: t?.max_lifetime ?? '',
    warm_pool: t?.warm_pool ?? 0,
  };
}

/** A typed number as JSON: a number when it is one, otherwise the text as typed (the server names
 * what is wrong with it). */
const numberOrText = (value: number | string) =>
  typeof value === 'number' ? value : value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;

/** The request body for POST (with name) or PATCH (without) /api/v1/templates. */
export function requestBodyOf(values: TemplateFormValues, creating: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    display_name: values.display_name,
    description: values.description,
    image: values.image,
    icon: values.icon_choice === 'url' ? values.icon_url.trim() : values.icon_choice || null,
    category: values.category,
    tags: values.tags,
    vnc_port: numberOrText(values.vnc_port),
    cpu_limit: numberOrText(values.cpu_limit),
    memory_limit_mb: numberOrText(values.memory_limit_mb),
    env: Object.fromEntries(
      values.env.filter((row) => row.key.trim() !== '').map((row) => [row.key.trim(), row.value]),
    ),
    persistent_home: values.persistent_home,
    platform: values.platform,
    idle_timeout: values.idle_timeout.trim() === '' ? null : values.idle_timeout.trim(),
    max_lifetime: values.max_lifetime.trim() === '' ? null : values.max_lifetime.trim(),
    warm_pool: numberOrText(values.warm_pool),
  };
  return creating ? { name: values.name, ...body } : body;
}

/** The form field a server error's `field` belongs to (`env.PATH` → env, `tags.1` → tags; the icon
 * goes to the URL input when that is what was typed). */
export function formFieldOf(field: string | undefined, values: TemplateFormValues): string | undefined {
  if (!field) return undefined;
  const root = field.split('.')[0]!;
  if (root === 'icon') return values.icon_choice === 'url' ? 'icon_url' : 'icon_choice';
  return root in values ? root : undefined;
}
