import { Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import type { KubeObject } from './kube-objects.js';
import { unknownFields } from './kubernetes-fields.js';

/**
 * The kinds our chart and manifests may contain, each checked against the OpenAPI schema of a
 * current Kubernetes (kubernetes-models). A kind outside this list fails: it would go unchecked.
 */
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

/**
 * Throws naming the object and the bad path (e.g. `data/spec/replicas must be integer`), or the
 * fields its type does not have (which the schemas alone let through).
 */
export function validateKubernetesObject(object: KubeObject): void {
  const label = `${object.kind}/${object.metadata?.name}`;
  if (object.apiVersion === 'monitoring.coreos.com/v1' && object.kind === 'ServiceMonitor') {
    validateServiceMonitor(object);
    return;
  }
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) throw new Error(`${label}: no schema for ${object.apiVersion} ${object.kind}`);
  if (!object.metadata?.name) throw new Error(`${label}: metadata.name is required`);
  try {
    new Model(object).validate();
  } catch (error) {
    throw new Error(`${label}: ${(error as Error).message}`, { cause: error });
  }
  const unknown = unknownFields(object);
  if (unknown.length > 0) throw new Error(`${label}: ${unknown.join('; ')}`);
}

/** ServiceMonitor is a Prometheus Operator CRD with no schema in kubernetes-models: its basic shape. */
function validateServiceMonitor(object: KubeObject): void {
  const spec = object.spec;
  const problems: string[] = [];
  if (!object.metadata?.name) problems.push('metadata.name is required');
  if (typeof spec?.selector?.matchLabels !== 'object') problems.push('spec.selector.matchLabels must be an object');
  if (!Array.isArray(spec?.endpoints) || spec.endpoints.length === 0) problems.push('spec.endpoints must be a list');
  for (const [i, endpoint] of (spec?.endpoints ?? []).entries()) {
    if (typeof endpoint.port !== 'string') problems.push(`spec.endpoints[${i}].port must be a port name`);
    if (endpoint.path !== undefined && !String(endpoint.path).startsWith('/')) {
      problems.push(`spec.endpoints[${i}].path must start with /`);
    }
    for (const key of ['interval', 'scrapeTimeout']) {
      if (endpoint[key] !== undefined && !/^(\d+(ms|s|m|h))+$/.test(endpoint[key])) {
        problems.push(`spec.endpoints[${i}].${key} must be a Prometheus duration`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`ServiceMonitor/${object.metadata?.name}: ${problems.join('; ')}`);
}
