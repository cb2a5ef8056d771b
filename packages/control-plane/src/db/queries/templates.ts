import type { Kysely } from 'kysely';
import type { NewTemplate, Schema, Template, TemplateUpdate } from '../schema.js';

type Db = Kysely<Schema>;

export function listTemplates(db: Db): Promise<Template[]> {
  return db.selectFrom('templates').selectAll().orderBy('name').execute();
}

export function findTemplateByName(db: Db, name: string): Promise<Template | undefined> {
  return db.selectFrom('templates').selectAll().where('name', '=', name).executeTakeFirst();
}

export function insertTemplate(
  db: Db,
  template: Omit<NewTemplate, 'env' | 'tags'> & {
    env?: Record<string, string> | undefined;
    tags?: string[] | undefined;
  },
): Promise<Template> {
  return db
    .insertInto('templates')
    .values({ ...template, env: JSON.stringify(template.env ?? {}), tags: JSON.stringify(template.tags ?? []) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function updateTemplate(db: Db, name: string, changes: TemplateUpdate): Promise<Template | undefined> {
  const set = { ...changes, updated_at: new Date() };
  if (changes.env !== undefined) set.env = JSON.stringify(changes.env);
  if (changes.tags !== undefined) set.tags = JSON.stringify(changes.tags);
  return db.updateTable('templates').set(set).where('name', '=', name).returningAll().executeTakeFirst();
}

export async function deleteTemplate(db: Db, name: string): Promise<boolean> {
  const result = await db.deleteFrom('templates').where('name', '=', name).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
