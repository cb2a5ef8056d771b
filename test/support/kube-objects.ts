import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as rendered: only the fields every test reads are typed. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: any;
}

/** Parses a multi-document YAML stream, failing on any YAML error and skipping empty documents. */
export function parseObjects(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('; '));
    const value = doc.toJS() as KubeObject | null;
    if (value !== null) objects.push(value);
  }
  return objects;
}

export function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

/** Every container of every pod template, with the object it belongs to. */
export function containers(objects: KubeObject[]): Array<{ owner: KubeObject; container: any; podSpec: any }> {
  return objects.flatMap((owner) => {
    const podSpec = owner.spec?.template?.spec;
    return podSpec ? (podSpec.containers as any[]).map((container) => ({ owner, container, podSpec })) : [];
  });
}
