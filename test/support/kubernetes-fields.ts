import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The schemas kubernetes-models validates against do not forbid unknown fields, so a misspelt
 * `readinesProbe` would pass them while the API server's strict field validation (kubectl's default)
 * refuses it. This walks an object along the models' type declarations (.d.ts, generated from the
 * same OpenAPI document) and names every field the type does not have. Inline object types are
 * not walked; among the kinds we use, only StatefulSet's volumeClaimTemplates has one.
 */
const packageRoot = resolve(dirname(fileURLToPath(import.meta.resolve('kubernetes-models/apps/v1'))), '../..');

interface Shape {
  properties: Map<string, string>;
  imports: Map<string, string>;
}

const shapes = new Map<string, Shape | null>();

function shapeOf(file: string): Shape | null {
  if (shapes.has(file)) return shapes.get(file)!;
  const text = readFileSync(file, 'utf8');
  const imports = new Map<string, string>();
  for (const [, name, from] of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
    const target = from!.startsWith('.') ? resolve(dirname(file), from!) : fileURLToPath(import.meta.resolve(from!));
    imports.set(name!, target.replace(/\.js$/, '') + '.d.ts');
  }
  // The first interface is the object's shape (the class after it repeats the same fields).
  const body = /^export interface \w+[^{]*\{\n([\s\S]*?)^\}/m.exec(text)?.[1];
  let shape: Shape | null = null;
  if (body !== undefined) {
    const properties = new Map<string, string>();
    for (const [, name, type] of body.matchAll(/^ {4}"([^"]+)"\??: (.*?);?$/gm)) properties.set(name!, type!);
    shape = { properties, imports };
  }
  shapes.set(file, shape); // null: a type alias such as IntOrString or Quantity, a leaf
  return shape;
}

function walk(value: unknown, file: string, path: string, problems: string[]): void {
  const shape = shapeOf(file);
  if (!shape || value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const type = shape.properties.get(key);
    if (type === undefined) {
      problems.push(`${path}${key}: unknown field`);
      continue;
    }
    const array = /^Array<(\w+)>$/.exec(type)?.[1];
    const single = /^(\w+)$/.exec(type)?.[1];
    const ref = shape.imports.get(array ?? single ?? '');
    if (!ref) continue; // a scalar, an enum or a string map
    if (array && Array.isArray(child)) child.forEach((item, i) => walk(item, ref, `${path}${key}[${i}].`, problems));
    else walk(child, ref, `${path}${key}.`, problems);
  }
}

/** Fields of a built-in object that its Kubernetes type does not have, as dotted paths. */
export function unknownFields(object: { apiVersion: string; kind: string }): string[] {
  const file = resolve(packageRoot, object.apiVersion, `${object.kind}.d.ts`);
  if (!shapeOf(file)) throw new Error(`no type declaration for ${object.apiVersion} ${object.kind}`);
  const problems: string[] = [];
  walk(object, file, '', problems);
  return problems;
}
